/**
 * A deliberately broken issuer: the real reference issuer behind a small proxy that applies one
 * flaw to its answers (rewrites discovery, the JWKS, a status). Checks are proven against it:
 * the correct reference passes, each flaw makes exactly the check that guards it fail.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { afterEach } from 'vitest';
import { freePort } from '../../harness/env/free-port.ts';
import { type ProfileInput, profileSchema } from '../../harness/profile/schema.ts';
import type { IssuerConfigInput } from '../../harness/reference/issuer/config.ts';
import type { Target } from '../../harness/runner/target.ts';
import { startTestIssuer, type TestIssuer } from './issuer.ts';

export interface Flaw {
  /** Which answers to alter: a path (exact) or a test on the path. */
  path: string | ((path: string) => boolean);
  /** Changes a JSON body; return undefined to leave it. */
  json?: (body: Record<string, unknown>) => unknown;
  /** Replaces the status (and body) entirely. */
  status?: number;
  /** With status: a JSON body to answer instead of the text 'flawed'. */
  body?: unknown;
  /**
   * Rewrites the request before the issuer sees it (adds credentials an unauthenticated caller
   * lacked, swaps one client's credentials for another's); return undefined to leave it.
   */
  request?: (request: FlawRequest, issuer: TestIssuer) => FlawRequest | undefined;
  /** Answers some requests itself, without the issuer (a JSON body); return undefined to pass the request on. */
  respond?: (request: FlawRequest, issuer: TestIssuer) => { status: number; body: unknown } | undefined;
  /**
   * Rewrites the issuer's answer (status, headers, JSON body) knowing the request it answers
   * (drop Cache-Control, turn a 400 into a 500, alter tokens of one grant); undefined leaves it.
   */
  answer?: (answer: FlawAnswer, request: FlawRequest) => FlawAnswer | undefined;
}

export interface FlawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or undefined when the answer is not JSON. */
  json: unknown;
}

export interface FlawRequest {
  method: string;
  /** Path and query as sent (a rewrite may change the query of GET /authorize). */
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface FlawedIssuer {
  url: string;
  issuer: TestIssuer;
  /**
   * A target profile for the primary/secondary/public clients, the browser login (on a free
   * loopback redirect port), key rotation and the clock, all through the proxy.
   */
  target(extra?: Partial<ProfileInput>): Target;
  /** Replaces the flaws for the following requests (one issuer per test file, one flaw per test). */
  setFlaws(flaws: Flaw[]): void;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function readBody(message: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.on('end', () => resolve(Buffer.concat(chunks)));
    message.on('error', reject);
  });
}

export interface FlawedIssuerOptions {
  /** Sees every JSON answer the proxy passes on (tests collect issued tokens with it). */
  observe?: (path: string, body: unknown) => void;
}

export async function startFlawedIssuer(
  flaws: Flaw[] = [],
  overrides: Partial<IssuerConfigInput> = {},
  options: FlawedIssuerOptions = {},
): Promise<FlawedIssuer> {
  let upstreamPort = 0;
  let active = flaws;
  const server = createServer(async (req, res) => {
    let body = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const flaw = active.find((candidate) =>
      typeof candidate.path === 'string' ? candidate.path === path : candidate.path(path),
    );
    if (flaw?.status) {
      if (flaw.body !== undefined)
        res.writeHead(flaw.status, { 'content-type': 'application/json' }).end(JSON.stringify(flaw.body));
      else res.writeHead(flaw.status, { 'content-type': 'text/plain' }).end('flawed');
      return;
    }
    const original: FlawRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: { ...req.headers },
      body: body.toString('utf8'),
    };
    const answer = flaw?.respond?.(original, issuer);
    if (answer) {
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      return;
    }
    let requestHeaders = req.headers as FlawRequest['headers'];
    let requestUrl = req.url;
    const rewritten = flaw?.request?.(original, issuer);
    if (rewritten) {
      requestUrl = rewritten.url ?? requestUrl;
      requestHeaders = Object.fromEntries(Object.entries(rewritten.headers).filter(([, value]) => value !== undefined));
      body = Buffer.from(rewritten.body);
    }
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        method: req.method,
        path: requestUrl,
        headers: { ...requestHeaders, 'content-length': String(body.length) },
      },
      async (answer) => {
        let payload = await readBody(answer);
        const headers = { ...answer.headers };
        if (options.observe && /json/.test(String(answer.headers['content-type']))) {
          try {
            options.observe(path, JSON.parse(payload.toString('utf8')));
          } catch {
            // not JSON after all: nothing to observe
          }
        }
        if (flaw?.json && /json/.test(String(answer.headers['content-type']))) {
          const changed = flaw.json(JSON.parse(payload.toString('utf8')) as Record<string, unknown>);
          if (changed !== undefined) payload = Buffer.from(JSON.stringify(changed));
          headers['content-length'] = String(payload.length);
        }
        let status = answer.statusCode ?? 502;
        if (flaw?.answer) {
          let json: unknown;
          try {
            json = /json/.test(String(headers['content-type'])) ? JSON.parse(payload.toString('utf8')) : undefined;
          } catch {
            json = undefined;
          }
          const changed = flaw.answer({ status, headers, json }, original);
          if (changed) {
            status = changed.status;
            const replaced = { ...changed.headers };
            for (const name of Object.keys(headers)) delete headers[name];
            Object.assign(headers, replaced);
            if (changed.json !== undefined) payload = Buffer.from(JSON.stringify(changed.json));
            headers['content-length'] = String(payload.length);
          }
        }
        res.writeHead(status, headers).end(payload);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    upstream.end(body);
  });
  const port = await listen(server);
  const url = `http://127.0.0.1:${port}`;
  const loginRedirectUri = `http://127.0.0.1:${await freePort()}/callback`;
  const issuer = await startTestIssuer({ issuer: url, ...overrides }, { loginRedirectUri });
  upstreamPort = issuer.issuer.port;
  return {
    url,
    issuer,
    target(extra = {}) {
      const profile = profileSchema.parse({
        name: 'flawed issuer',
        issuer: {
          url,
          clients: {
            primary: { id: 'primary', secret: issuer.secrets.primary, scopes: ['openid', 'read', 'write'] },
            secondary: { id: 'secondary', secret: issuer.secrets.secondary, scopes: ['openid', 'read', 'write'] },
            public: { id: 'spa', auth: 'none', scopes: ['openid', 'read'] },
          },
          login: {
            redirectUri: loginRedirectUri,
            user: 'alice',
            steps: [
              { fill: '#username', value: 'alice' },
              { fill: '#password', value: issuer.secrets.password },
              { click: 'button[type=submit]' },
            ],
          },
          admin: {
            rotateKeys: {
              url: `${url}/admin/keys/rotate`,
              headers: { authorization: `Bearer ${issuer.secrets.admin}`, 'content-type': 'application/json' },
              body: '{"activateAfterSeconds":0}',
            },
            setClockOffset: {
              url: `${url}/admin/clock`,
              headers: { authorization: `Bearer ${issuer.secrets.admin}`, 'content-type': 'application/json' },
              body: '{"offsetSeconds":{{offsetSeconds}}}',
            },
          },
        },
        ...extra,
      });
      return { name: profile.name, profile, baseDir: process.cwd() };
    },
    setFlaws(next) {
      active = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await issuer.close();
    },
  };
}

/**
 * For a test file: `withFlaw(...)` starts a flawed issuer for the current test; it is closed
 * after each test, also when the test fails.
 */
export function flawedIssuerPerTest(): { withFlaw(...flaws: Flaw[]): Promise<FlawedIssuer> } {
  const running: FlawedIssuer[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((issuer) => issuer.close()));
  });
  return {
    async withFlaw(...flaws) {
      const issuer = await startFlawedIssuer(flaws);
      running.push(issuer);
      return issuer;
    },
  };
}
