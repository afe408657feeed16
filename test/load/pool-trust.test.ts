/**
 * The load pool follows the trust of the resource server under load, not the mere presence of the
 * harness test issuer (harness/load/token-pool.ts poolForger): on the embedded stack, which always
 * has a test issuer, an RS that trusts the reference issuer gets a pool minted there, and one that
 * trusts the harness gets the forger's. Real reference servers; no k6 needed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PreparedEnvironment, prepareEnvironment } from '../../harness/engine/environment.ts';
import { Redactor } from '../../harness/lib/redactor.ts';
import { describeLoadTarget } from '../../harness/load/target-endpoints.ts';
import { type PoolToken, poolForger, prepareTokens } from '../../harness/load/token-pool.ts';

let environment: PreparedEnvironment;

beforeAll(async () => {
  environment = await prepareEnvironment({
    runDir: mkdtempSync(join(tmpdir(), 'tokenproof-pool-trust-')),
    redactor: new Redactor(),
  });
}, 120_000);

afterAll(async () => {
  await environment?.stop();
});

function issuerOf(token: PoolToken): string {
  const payload = JSON.parse(Buffer.from(token.token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: string };
  return payload.iss ?? '';
}

const request = {
  size: 20,
  shares: { expired: 0.1, forged: 0.1, revoked: 0 },
  judge: 'resourceServer',
  revocable: 0,
  refreshChains: 0,
} as const;

describe('the load pool and the trust of the resource server under load', () => {
  it('mints at the reference issuer for an RS that trusts it, though a test issuer exists', async () => {
    const profile = environment.target.profile;
    const issuerTrusting = {
      ...profile,
      resourceServer: {
        url: profile.propagation!.resourceServers![0]!,
        audience: profile.propagation!.audience!,
        trusts: 'issuer' as const,
      },
    };
    const subject: PreparedEnvironment = { ...environment, target: { ...environment.target, profile: issuerTrusting } };
    expect(environment.testIssuer).toBeDefined();
    expect(poolForger(subject)).toBeUndefined();
    const tokens = await prepareTokens(subject, await describeLoadTarget(issuerTrusting), request);
    const valid = tokens.pool.filter((token) => token.kind === 'valid');
    expect(valid.length).toBeGreaterThan(0);
    for (const token of tokens.pool) expect(issuerOf(token)).toBe(profile.issuer!.url);
    // And the RS that trusts the issuer accepts them.
    const answer = await fetch(issuerTrusting.resourceServer.url, { headers: { authorization: `Bearer ${valid[0]!.token}` } });
    expect(answer.status).toBe(200);
  }, 60_000);

  it("takes the test issuer's forger for an RS that trusts the harness", async () => {
    expect(poolForger(environment)).toBe(environment.testIssuer!.forger);
    const tokens = await prepareTokens(environment, await describeLoadTarget(environment.target.profile), request);
    for (const token of tokens.pool) expect(issuerOf(token)).toBe(environment.testIssuer!.url);
  }, 60_000);
});
