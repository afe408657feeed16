/**
 * V08 revocation propagation against the real reference issuer and reference resource servers:
 * revocation events (JWT and introspection mode) and introspection-cache expiry pass; an RS that
 * ignores revocation events, or whose introspection cache outlives a declared SLO, fails (with no
 * declared SLO: warns); a 429 while polling is not a refusal.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { profileSchema } from '../../harness/profile/schema.ts';
import type { ResourceServerConfigInput } from '../../harness/reference/resource-server/config.ts';
import { type RunningResourceServer, startResourceServer } from '../../harness/reference/resource-server/server.ts';
import type { Target } from '../../harness/runner/target.ts';
import { startTestIssuer, type TestIssuer } from '../support/issuer.ts';
import { testRsConfig } from '../support/resource-server.ts';
import { outcomeOf } from '../support/run-checks.ts';

let issuer: TestIssuer;
const running: RunningResourceServer[] = [];
const proxies: Server[] = [];

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterEach(async () => {
  for (const proxy of proxies.splice(0)) {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  }
  await Promise.all(running.splice(0).map((rs) => rs.close()));
});
afterAll(async () => {
  await issuer?.close();
});

async function replicas(count: number, overrides: Partial<ResourceServerConfigInput> = {}): Promise<RunningResourceServer[]> {
  const started = await Promise.all(Array.from({ length: count }, () => startResourceServer(testRsConfig(issuer, overrides))));
  running.push(...started);
  return started;
}

/**
 * A rate limiter in front of `rs`: each token's first request (the warm-up, before any revocation)
 * goes through, the next `limited` get 429, the rest go through again.
 */
async function rateLimited(rs: RunningResourceServer, limited: number): Promise<{ protectedUrl: string }> {
  const seen = new Map<string, number>();
  const proxy = createServer(async (request, response) => {
    const authorization = request.headers.authorization ?? '';
    const count = (seen.get(authorization) ?? 0) + 1;
    seen.set(authorization, count);
    if (count > 1 && count <= 1 + limited) {
      response.writeHead(429, { 'retry-after': '1' }).end();
      return;
    }
    const answer = await fetch(rs.protectedUrl, { headers: { authorization } }).catch(() => undefined);
    if (!answer) return void response.writeHead(502).end();
    const body = Buffer.from(await answer.arrayBuffer());
    response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' }).end(body);
  });
  proxies.push(proxy);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  if (!address || typeof address === 'string') throw new Error('the rate limiter has no port');
  return { protectedUrl: `http://127.0.0.1:${address.port}/protected` };
}

function target(servers: { protectedUrl: string }[], slo?: string): Target {
  const profile = profileSchema.parse({
    name: 'propagation',
    issuer: { url: issuer.url, clients: { primary: { id: 'primary', secret: issuer.secrets.primary } } },
    propagation: { resourceServers: servers.map((rs) => rs.protectedUrl), audience: 'api://default', scope: 'read' },
    ...(slo && { slo: { revocationPropagation: slo } }),
  });
  return { name: profile.name, profile, baseDir: process.cwd() };
}

describe('propagation.revocation (V08)', () => {
  it('passes with revocation events at two replicas and reports the percentiles against the default SLO', async () => {
    const result = await outcomeOf(target(await replicas(2)), 'propagation.revocation');
    expect(result.outcome).toBe('pass');
    expect(result.reason).toMatch(
      /^p50 [\d.]+ ms, p95 [\d.]+ ms, max [\d.]+ ms over 10 tokens × 2 resource servers, polled every 10 ms .*within the SLO 5.00 s \(default: the profile sets no slo.revocationPropagation\)(; slowest: \S+ \(max [\d.]+ m?s\))?$/,
    );
    // With replicas, the report names the slowest one.
    expect(result.reason).toMatch(/; slowest: http:\/\/127\.0\.0\.1:\d+\/protected \(max [\d.]+ m?s\)$/);
  });

  it('passes with introspection-cache expiry (no events) inside the SLO', async () => {
    const servers = await replicas(1, {
      mode: 'introspection',
      introspection: { clientId: 'secondary', clientSecret: issuer.secrets.secondary, cacheTtl: '1s' },
      revocationEvents: { enabled: false },
    });
    const result = await outcomeOf(target(servers, '3s'), 'propagation.revocation');
    expect(result.outcome).toBe('pass');
    expect(result.reason).toMatch(/max \d+(\.\d\d)? m?s over 10 tokens × 1 resource server/);
  });

  it('fails when an RS ignores revocation events (a revoked JWT works until it expires)', async () => {
    const [events] = await replicas(1);
    const [deaf] = await replicas(1, { revocationEvents: { enabled: false } });
    const result = await outcomeOf(target([events!, deaf!], '1s'), 'propagation.revocation');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(
      new RegExp(`10 of 20 revoked tokens were still accepted 3.00 s after revocation \\(${deaf!.protectedUrl}\\)`),
    );
  });

  it('fails when a stale introspection cache outlives the SLO', async () => {
    const servers = await replicas(1, {
      mode: 'introspection',
      introspection: { clientId: 'secondary', clientSecret: issuer.secrets.secondary, cacheTtl: '2s' },
      revocationEvents: { enabled: false },
    });
    const result = await outcomeOf(target(servers, '500ms'), 'propagation.revocation');
    expect(result.outcome).toBe('fail');
    // How far over depends on how long the warm-up took; that it is over does not.
    expect(result.reason).toMatch(/(revocation took up to .* over the SLO 500 ms|still accepted 2.50 s after revocation)/);
  });

  it('warns, not fails, when an RS ignores revocation and the profile declares no SLO (RFC 7009 §2.1: should minimize)', async () => {
    const [deaf] = await replicas(1, { revocationEvents: { enabled: false } });
    const result = await outcomeOf(target([deaf!]), 'propagation.revocation');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(
      /10 of 10 revoked tokens were still accepted 10.00 s after revocation .*SLO 5.00 s \(default: the profile sets no slo.revocationPropagation\); with no declared SLO this is a SHOULD finding \(RFC 7009 §2.1/,
    );
  });

  it('does not count a 429 while polling as a refusal: 429s then served fails, only 429s is error (unknown)', async () => {
    const [deaf] = await replicas(1, { revocationEvents: { enabled: false } });
    // A deaf RS behind a rate limiter: the first polls of each revoked token get 429, then it is served.
    const served = await outcomeOf(target([await rateLimited(deaf!, 3)], '500ms'), 'propagation.revocation');
    expect(served.outcome).toBe('fail');
    expect(served.reason).toMatch(/10 of 10 revoked tokens were still accepted 2.50 s after revocation/);
    expect(served.evidence.notes.join('\n')).toMatch(
      /neither served nor refused \(401\/403\), counted as not yet refused: HTTP 429 ×30/,
    );
    const [events] = await replicas(1);
    // Every poll rate-limited: revocation may well have arrived (events are on), but nothing shows it.
    const limited = await outcomeOf(
      target([await rateLimited(events!, Number.POSITIVE_INFINITY)], '500ms'),
      'propagation.revocation',
    );
    expect(limited.outcome).toBe('error');
    expect(limited.reason).toMatch(
      /10 of 10 revoked tokens were neither served nor refused with 401\/403 within 2.50 s .*only HTTP 429 ×\d+, so whether revocation reached them is unknown/,
    );
  });
});
