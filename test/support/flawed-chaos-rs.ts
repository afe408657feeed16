/**
 * Deliberately flawed resource servers for the resilience checks (C01-C07), one flaw each: the
 * real reference RS, in this process, with one behaviour under failure changed (a patched method
 * or a front that rewrites its answers). Without a fault every one of them answers exactly as
 * the reference does, so each passes the plain conformance suites, and a game day that fails
 * one fails it because of that flaw. The flaws are ones real deployments ship:
 * - fails-open: a gateway that lets a request through when the auth service answers 5xx;
 * - drops-jwks-on-failed-refresh: a key cache replaced by whatever the last fetch returned (nothing);
 * - no-introspection-cache: every request asks the issuer (cacheTtl 0);
 * - never-recovers: a circuit breaker that opens on the first failure and never half-opens;
 * - follows-issuer-clock: "the issuer is the time authority": adopts a token's iat as its clock.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChaosEnvironment, ChaosSubject, SubjectName } from '../../harness/faults/chaos-environment.ts';
import type { VerifiedToken } from '../../harness/reference/resource-server/claims.ts';
import type { ResourceServerConfigInput } from '../../harness/reference/resource-server/config.ts';
import { ResourceError, unavailable } from '../../harness/reference/resource-server/resource-error.ts';
import { type RunningResourceServer, startResourceServer } from '../../harness/reference/resource-server/server.ts';

export const chaosFlaws = [
  'fails-open',
  'drops-jwks-on-failed-refresh',
  'no-introspection-cache',
  'never-recovers',
  'follows-issuer-clock',
] as const;
export type ChaosFlaw = (typeof chaosFlaws)[number];

export const subjectOfFlaw: Record<ChaosFlaw, SubjectName> = {
  'fails-open': 'introspection',
  'drops-jwks-on-failed-refresh': 'jwt',
  'no-introspection-cache': 'introspection',
  'never-recovers': 'introspection',
  'follows-issuer-clock': 'jwt',
};

export interface FlawedChaosRs {
  flaw: ChaosFlaw | undefined;
  rs: RunningResourceServer;
  /** What clients call: the front (when the flaw has one) or the RS itself. */
  protectedUrl: string;
  /** The subject with this RS in place of the environment's. */
  subject: ChaosSubject;
  close(): Promise<void>;
}

/** A front that forwards to the RS and may rewrite the answer or act on the request first. */
async function front(
  rs: RunningResourceServer,
  hooks: { onRequest?: (authorization: string | undefined) => void; rewrite5xx?: boolean },
): Promise<Server> {
  const server = createServer((request, response) => {
    hooks.onRequest?.(request.headers.authorization);
    const upstream = httpRequest(`${rs.url}${request.url}`, { method: request.method, headers: request.headers }, (answer) => {
      if (hooks.rewrite5xx && (answer.statusCode ?? 500) >= 500) {
        answer.resume();
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"sub":"unknown","note":"auth service unavailable, request let through"}');
        return;
      }
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => {
      response.writeHead(502);
      response.end();
    });
    request.pipe(upstream);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return server;
}

function iatOf(authorization: string | undefined): number | undefined {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
  try {
    const claims = JSON.parse(Buffer.from(token?.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iat?: unknown };
    return typeof claims.iat === 'number' ? claims.iat : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the reference RS configured like the environment's subject (through the same links),
 * with `flaw` (none: the correct reference, in-process).
 */
export async function startFlawedChaosRs(
  chaos: ChaosEnvironment,
  name: SubjectName,
  flaw: ChaosFlaw | undefined,
  secrets: { secondarySecret: string; jwksUri: string },
): Promise<FlawedChaosRs> {
  const real = await chaos.subjects[name]!();
  const jwks = real.links.jwks;
  const config: ResourceServerConfigInput =
    name === 'jwt'
      ? {
          issuer: real.issuerUrl,
          jwksUri: jwks!.proxied(secrets.jwksUri),
          audience: real.resourceServer.audience,
          ...(real.resourceServer.scope && { requiredScope: [real.resourceServer.scope] }),
          // Refreshes inside a short outage, so a flaw in the refresh path shows.
          jwks: { cooldown: '1s', refreshInterval: '1s', timeout: '1s' },
        }
      : {
          issuer: real.issuerUrl,
          audience: real.resourceServer.audience,
          mode: 'introspection',
          introspection: {
            endpoint: real.links.introspection!.proxied(`${real.issuerUrl}/introspect`),
            clientId: 'secondary',
            clientSecret: secrets.secondarySecret,
            cacheTtl: flaw === 'no-introspection-cache' ? '0s' : '30s',
            negativeCacheTtl: flaw === 'no-introspection-cache' ? '0s' : '30s',
            timeout: '1s',
          },
          revocationEvents: {
            url: real.links['revocation-events']!.proxied(`${real.issuerUrl}/events/revocations`),
            maxReconnectDelay: '1s',
          },
        };
  const rs = await startResourceServer(config);
  let frontServer: Server | undefined;
  if (flaw === 'drops-jwks-on-failed-refresh') {
    const cache = rs.context.jwks as unknown as { fetchKeys(): Promise<boolean>; replaceKeys(keys: unknown[]): void };
    const fetchKeys = cache.fetchKeys.bind(cache);
    cache.fetchKeys = async () => {
      const ok = await fetchKeys();
      if (!ok) cache.replaceKeys([]);
      return ok;
    };
  }
  if (flaw === 'never-recovers') {
    const client = rs.context.introspection!;
    const check = client.check.bind(client);
    let open = false;
    client.check = async (token: string): Promise<VerifiedToken> => {
      if (open) throw unavailable('introspection_failed', 'circuit open');
      try {
        return await check(token);
      } catch (error) {
        if (error instanceof ResourceError && error.status >= 500) open = true;
        throw error;
      }
    };
  }
  if (flaw === 'fails-open') frontServer = await front(rs, { rewrite5xx: true });
  if (flaw === 'follows-issuer-clock')
    frontServer = await front(rs, {
      onRequest(authorization) {
        const iat = iatOf(authorization);
        const now = Date.now() / 1000;
        if (iat !== undefined && iat - now > 60) rs.context.clock.setOffsetSeconds(Math.round(iat - now));
      },
    });
  const base = frontServer ? `http://127.0.0.1:${(frontServer.address() as AddressInfo).port}` : rs.url;
  const protectedUrl = `${base}/protected`;
  return {
    flaw,
    rs,
    protectedUrl,
    subject: { ...real, resourceServer: { ...real.resourceServer, url: protectedUrl } },
    async close() {
      if (frontServer) await new Promise<void>((done) => frontServer.close(() => done()));
      await rs.close();
    },
  };
}
