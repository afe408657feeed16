/**
 * The jwks suite against the real reference issuer (passes) and with one flaw at a time.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Flaw, flawedIssuerPerTest } from '../support/flawed-issuer.ts';
import { outcomeOf, runSelected } from '../support/run-checks.ts';

const { withFlaw } = flawedIssuerPerTest();

type Jwk = Record<string, unknown>;
const jwks = (change: (keys: Jwk[]) => Jwk[] | undefined | unknown): Flaw => ({
  path: '/jwks',
  json: (body) => {
    const keys = body.keys as Jwk[];
    const changed = change(keys);
    return changed === undefined ? body : Array.isArray(changed) ? { keys: changed } : changed;
  },
});

describe('jwks suite', () => {
  it('passes against the reference issuer, rotation included', async () => {
    const issuer = await withFlaw();
    const results = await runSelected(issuer.target(), { suites: ['jwks'] });
    for (const [id, result] of results)
      expect({ id, outcome: result.outcome, reason: result.reason }).toMatchObject({ id, outcome: 'pass' });
    expect(results.size).toBe(5);
    expect(results.get('jwks.rotation')!.reason).toMatch(/rotated from \S+ to \S+/);
  });

  it('K01 fails when the JWKS is not a key set', async () => {
    const issuer = await withFlaw(jwks(() => ({ jwks: [] })));
    const result = await outcomeOf(issuer.target(), 'jwks.key-set');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/is not \{"keys":\[\.\.\.\]\}/);
  });

  it('K02 fails when a private member is published', async () => {
    const issuer = await withFlaw(jwks((keys) => keys.map((key) => ({ ...key, d: 'AQAB' }))));
    const result = await outcomeOf(issuer.target(), 'jwks.public-only');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/private members d/);
  });

  it('K02 fails when a symmetric key is published', async () => {
    const issuer = await withFlaw(jwks((keys) => [...keys, { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' }]));
    const result = await outcomeOf(issuer.target(), 'jwks.public-only');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/symmetric/);
  });

  it('K03 fails on a reused kid and on a 1024-bit RSA key', async () => {
    const duplicate = await withFlaw(jwks((keys) => [...keys, { ...keys[0] }]));
    expect((await outcomeOf(duplicate.target(), 'jwks.key-hygiene')).reason).toMatch(/kid reused/);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const weakKey = await withFlaw(jwks((keys) => [...keys, { ...weak, kid: 'weak', use: 'sig', alg: 'RS256' }]));
    const result = await outcomeOf(weakKey.target(), 'jwks.key-hygiene');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/RSA 1024 bits/);
  });

  it('K03 fails when alg does not fit the key type', async () => {
    const issuer = await withFlaw(jwks((keys) => keys.map((key) => ({ ...key, alg: 'ES256' }))));
    const result = await outcomeOf(issuer.target(), 'jwks.key-hygiene');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/kty RSA but alg ES256/);
  });

  it("K04 fails when the token's kid is not published", async () => {
    const issuer = await withFlaw(jwks((keys) => keys.map((key) => ({ ...key, kid: `other-${String(key.kid)}` }))));
    const result = await outcomeOf(issuer.target(), 'jwks.token-kid');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/is not in the JWKS/);
  });

  it('K05 fails when rotation drops the old key at once', async () => {
    const issuer = await withFlaw(jwks((keys) => keys.slice(-1)));
    const result = await outcomeOf(issuer.target(), 'jwks.rotation');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/old key \S+ left the JWKS/);
  });

  it('K05 fails when a new key signs before it is published', async () => {
    // The proxy hides the newest key: tokens signed by it appear before the JWKS shows it.
    const issuer = await withFlaw(jwks((keys) => (keys.length > 1 ? keys.slice(0, 1) : keys)));
    const result = await outcomeOf(issuer.target(), 'jwks.rotation');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/before the JWKS published it/);
  });

  it('K05 is skipped with a reason when the profile gives no way to rotate', async () => {
    const issuer = await withFlaw();
    const target = issuer.target();
    delete target.profile.issuer!.admin;
    const result = await outcomeOf(target, 'jwks.rotation');
    expect(result.outcome).toBe('skip');
    expect(result.reason).toMatch(/no way to rotate keys/);
  });
});
