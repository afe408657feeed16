/**
 * Deliberately broken resource servers for the rs-errors, replay and rs-metadata suites: the real
 * reference RS (trusting the harness test issuer) with one flaw, behind a small proxy that the
 * flaw may use. A flaw is a flawed setting (query tokens accepted, a huge DPoP iat window), a
 * changed part of the running server (no DPoP replay cache), a proxy rewrite of what goes in or
 * comes out (no WWW-Authenticate, the token echoed, a case-sensitive scheme, wrong metadata), or
 * one DPoP rule switched off in the real verifier (see `dpopFlaws`: the test file mocks
 * harness/oauth/dpop.ts and authorize.ts through `flawedDpopModule` / `flawedAuthorizeModule`).
 * The correct reference passes every check; each flaw makes the check that guards it fail.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type ProfileInput, profileSchema } from '../../harness/profile/schema.ts';
import type { ResourceServerConfigInput } from '../../harness/reference/resource-server/config.ts';
import type { ResourceServerContext } from '../../harness/reference/resource-server/context.ts';
import { type RunningResourceServer, startResourceServer } from '../../harness/reference/resource-server/server.ts';
import type { Target } from '../../harness/runner/target.ts';
import { type RunningTestIssuer, startHarnessIssuer } from '../../harness/test-issuer/server.ts';
import { type DpopFlaw, dpopFlaws } from './flawed-rs-dpop.ts';

export const rsAudience = 'api://flawed-rs';
export const rsScope = 'read';

export interface ProxyRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface ProxyAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface RsFlaw {
  /** Reference RS settings over the correct ones. */
  config?: Partial<ResourceServerConfigInput>;
  /** Changes the running server (e.g. its DPoP replay cache). */
  context?: (ctx: ResourceServerContext) => void;
  /** Rewrites a request, or answers it in the RS's place. */
  request?: (request: ProxyRequest) => ProxyRequest | ProxyAnswer;
  /** Rewrites an answer. */
  response?: (answer: ProxyAnswer, request: ProxyRequest) => ProxyAnswer;
  dpop?: DpopFlaw;
}

export interface FlawedRs {
  url: string;
  protectedUrl: string;
  rs: RunningResourceServer;
  target(extra?: Partial<NonNullable<ProfileInput['resourceServer']>>, profile?: Partial<ProfileInput>): Target;
  close(): Promise<void>;
}

export async function startRsTestIssuer(): Promise<RunningTestIssuer> {
  return startHarnessIssuer({ audience: rsAudience, scope: rsScope });
}

function readBody(message: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.on('end', () => resolve(Buffer.concat(chunks)));
    message.on('error', reject);
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

export async function startFlawedRs(testIssuer: RunningTestIssuer, flaw: RsFlaw = {}): Promise<FlawedRs> {
  let upstreamPort = 0;
  const proxy = createServer(async (incoming, outgoing) => {
    const original: ProxyRequest = {
      method: incoming.method ?? 'GET',
      url: incoming.url ?? '/',
      // One value per header, except a repeated one (two DPoP headers stay two).
      headers: Object.fromEntries(
        Object.entries(incoming.headersDistinct).map(([name, values]) => [name, values?.length === 1 ? values[0] : values]),
      ),
      body: await readBody(incoming),
    };
    const changed = flaw.request ? flaw.request(original) : original;
    const send = (answer: ProxyAnswer) => {
      const final = flaw.response ? flaw.response(answer, original) : answer;
      const headers: ProxyAnswer['headers'] = { ...final.headers, 'content-length': String(final.body.length) };
      delete headers['transfer-encoding'];
      outgoing.writeHead(final.status, headers as Record<string, string | string[]>).end(final.body);
    };
    if ('status' in changed) return send(changed);
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        method: changed.method,
        path: changed.url,
        headers: {
          ...changed.headers,
          host: `127.0.0.1:${upstreamPort}`,
          'content-length': String(changed.body.length),
        } as Record<string, string | string[]>,
      },
      async (answer) => {
        const body = await readBody(answer);
        send({ status: answer.statusCode ?? 502, headers: { ...answer.headers }, body });
      },
    );
    upstream.on('error', () => outgoing.writeHead(502).end());
    upstream.end(changed.body);
  });
  const port = await listen(proxy);
  const url = `http://127.0.0.1:${port}`;
  let rs: RunningResourceServer;
  try {
    rs = await startResourceServer({
      issuer: testIssuer.url,
      jwksUri: testIssuer.jwksUri,
      audience: rsAudience,
      requiredScope: [rsScope],
      publicUrl: url,
      resourceMetadata: {},
      revocationEvents: { enabled: false },
      ...flaw.config,
    });
  } catch (error) {
    proxy.close();
    throw error;
  }
  upstreamPort = rs.port;
  flaw.context?.(rs.context);
  dpopFlaws.clear();
  if (flaw.dpop) dpopFlaws.add(flaw.dpop);
  return {
    url,
    protectedUrl: `${url}/protected`,
    rs,
    target(extra = {}, profile = {}) {
      const parsed = profileSchema.parse({
        name: 'flawed resource server',
        resourceServer: { url: `${url}/protected`, audience: rsAudience, scope: rsScope, trusts: 'harness', ...extra },
        ...profile,
      });
      return { name: parsed.name, profile: parsed, baseDir: process.cwd(), testIssuer };
    },
    async close() {
      dpopFlaws.clear();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await rs.close();
    },
  };
}

/** The Authorization header of a proxied request. */
export function authorizationOf(request: ProxyRequest): string | undefined {
  const value = request.headers.authorization;
  return Array.isArray(value) ? value[0] : value;
}

export function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): ProxyAnswer {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(body)) };
}

/** Changes the JSON body of answers to `path`. */
export function rewriteJson(path: string, change: (body: Record<string, unknown>) => unknown): RsFlaw['response'] {
  return (answer, request) => {
    if (request.url.split('?')[0] !== path || answer.status !== 200) return answer;
    const body = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
    const changed = change(body);
    return { ...answer, body: Buffer.from(JSON.stringify(changed ?? body)) };
  };
}

/**
 * For a test file: one harness test issuer (beforeAll) and `withFlaw(...)`, a flawed RS trusting
 * it for the current test, closed after each test, also when the test fails.
 */
export function flawedRsPerTest(): { withFlaw(flaw?: RsFlaw): Promise<FlawedRs>; testIssuer(): RunningTestIssuer } {
  let testIssuer: RunningTestIssuer | undefined;
  const running: FlawedRs[] = [];
  beforeAll(async () => {
    testIssuer = await startRsTestIssuer();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((rs) => rs.close()));
  });
  afterAll(async () => {
    await testIssuer?.close();
  });
  const started = () => {
    if (!testIssuer) throw new Error('the test issuer starts in beforeAll');
    return testIssuer;
  };
  return {
    async withFlaw(flaw = {}) {
      const rs = await startFlawedRs(started(), flaw);
      running.push(rs);
      return rs;
    },
    testIssuer: started,
  };
}
