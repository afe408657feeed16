/**
 * V08 revocation propagation against the real reference issuer and reference resource servers:
 * revocation events (JWT and introspection mode) and introspection-cache expiry pass; an RS that
 * ignores revocation events, or whose introspection cache outlives the SLO, fails.
 */
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

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterEach(async () => {
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

function target(servers: RunningResourceServer[], slo?: string): Target {
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
});
