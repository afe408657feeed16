/**
 * The jwks suite against the real reference issuer (passes) and with one flaw at a time.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { profileSchema } from '../../harness/profile/schema.ts';
import { type Flaw, flawedIssuerPerTest, startFlawedIssuer } from '../support/flawed-issuer.ts';
import { type HostileServer, startHostileServer } from '../support/hostile-server.ts';
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

  it('K03 fails on a 1024-bit RSA key', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const weakKey = await withFlaw(jwks((keys) => [...keys, { ...weak, kid: 'weak', use: 'sig', alg: 'RS256' }]));
    const result = await outcomeOf(weakKey.target(), 'jwks.key-hygiene');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/RSA 1024 bits/);
  });

  it('K03 warns when one kid names two different keys of a type (RFC 7517 §4.5 SHOULD), not when it lists one key twice', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    const clash = await withFlaw(jwks((keys) => [...keys, { ...other, kid: keys[0]!.kid, use: 'sig', alg: 'RS256' }]));
    const result = await outcomeOf(clash.target(), 'jwks.key-hygiene');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/names several different RSA keys/);
    const twice = await withFlaw(jwks((keys) => [...keys, { ...keys[0] }]));
    const same = await outcomeOf(twice.target(), 'jwks.key-hygiene');
    expect(same.outcome).toBe('pass');
    expect(same.evidence.notes.join(' ')).toMatch(/allowed \(RFC 7517 §4\.5\)/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const alternatives = await withFlaw(jwks((keys) => [...keys, { ...ec, kid: keys[0]!.kid, use: 'sig', alg: 'ES256' }]));
    expect((await outcomeOf(alternatives.target(), 'jwks.key-hygiene')).outcome).toBe('pass');
  });

  it('K03 warns on keys without kid in a set of several, and accepts use values other than sig/enc', async () => {
    const noKid = await withFlaw(
      jwks((keys) => [...keys, ...keys].map(({ kid: _kid, ...key }, index) => (index ? key : { ...key, kid: 'x' }))),
    );
    const result = await outcomeOf(noKid.target(), 'jwks.key-hygiene');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/have no kid/);
    const customUse = await withFlaw(jwks((keys) => keys.map((key) => ({ ...key, use: 'tls' }))));
    expect((await outcomeOf(customUse.target(), 'jwks.key-hygiene')).outcome).toBe('pass');
  });

  it('K03 fails when use and key_ops contradict each other (RFC 7517 §4.3)', async () => {
    const issuer = await withFlaw(jwks((keys) => keys.map((key) => ({ ...key, use: 'sig', key_ops: ['encrypt'] }))));
    const result = await outcomeOf(issuer.target(), 'jwks.key-hygiene');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/MUST be consistent/);
  });

  it('the jwks checks are skipped when discovery advertises no jwks_uri (optional in RFC 8414)', async () => {
    const issuer = await withFlaw({
      path: (path) => path.startsWith('/.well-known/'),
      json: (body) => {
        delete body.jwks_uri;
        return body;
      },
    });
    const results = await runSelected(issuer.target(), {
      checks: ['jwks.key-set', 'jwks.public-only', 'jwks.key-hygiene', 'jwks.token-kid'],
    });
    for (const [id, result] of results) {
      expect({ id, outcome: result.outcome }).toEqual({ id, outcome: 'skip' });
      expect(result.reason).toMatch(/advertises no jwks_uri/);
    }
  });

  describe('a JWKS that never arrives is asked once and reported once', () => {
    const servers: HostileServer[] = [];
    afterAll(() => Promise.all(servers.map((server) => server.close())));
    for (const [hostility, reason] of [
      ['hang', /jwks_uri \S+ gave no usable answer: no complete answer within 2000 ms/],
      ['huge', /jwks_uri \S+ gave no usable answer: the response body exceeds 1 MiB/],
      ['reset', /jwks_uri \S+ gave no usable answer: the connection was reset/],
    ] as const) {
      it(hostility, async () => {
        const server = await startHostileServer(hostility, { only: ['/jwks'] });
        servers.push(server);
        const profile = profileSchema.parse({
          name: `jwks ${hostility}`,
          issuer: { url: server.url },
          timeouts: { request: '2s' },
        });
        const results = await runSelected(
          { name: profile.name, profile, baseDir: process.cwd() },
          { checks: ['jwks.key-set', 'jwks.public-only', 'jwks.key-hygiene'] },
        );
        const [first, ...later] = [...results.values()];
        expect(first).toMatchObject({ id: 'jwks.key-set', outcome: 'error', reason: expect.stringMatching(reason) });
        expect(first!.evidence.exchanges.at(-1)!.error).toBeDefined();
        for (const result of later) {
          expect(result.outcome).toBe('error');
          expect(result.reason).toMatch(/seen first in jwks\.key-set; not asked again/);
          expect(result.evidence.exchanges).toHaveLength(0);
        }
        expect(server.requests('/jwks')).toBe(1);
      });
    }
  });

  it('K01 fails, and K02/K03 are skipped, on an empty key set', async () => {
    const issuer = await withFlaw(jwks(() => []));
    const results = await runSelected(issuer.target(), { checks: ['jwks.key-set', 'jwks.public-only', 'jwks.key-hygiene'] });
    expect(results.get('jwks.key-set')!.reason).toMatch(/has no keys/);
    expect(results.get('jwks.key-set')!.outcome).toBe('fail');
    for (const id of ['jwks.public-only', 'jwks.key-hygiene']) {
      expect(results.get(id)!.outcome).toBe('skip');
      expect(results.get(id)!.reason).toMatch(/the JWKS is empty/);
    }
  });

  it('K03 fails when alg does not fit the key type', async () => {
    const issuer = await withFlaw(jwks((keys) => keys.map((key) => ({ ...key, alg: 'ES256' }))));
    const result = await outcomeOf(issuer.target(), 'jwks.key-hygiene');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/kty RSA but alg ES256/);
  });

  it('K04 is skipped for opaque access tokens (no kid to resolve)', async () => {
    const opaque = await startFlawedIssuer([], { tokens: { format: 'opaque' } });
    try {
      const result = await outcomeOf(opaque.target(), 'jwks.token-kid');
      expect(result.outcome).toBe('skip');
      expect(result.reason).toMatch(/opaque access tokens/);
    } finally {
      await opaque.close();
    }
  });

  it("K04 fails when the token's kid is not published", async () => {
    const issuer = await withFlaw(jwks((keys) => keys.map((key) => ({ ...key, kid: `other-${String(key.kid)}` }))));
    const result = await outcomeOf(issuer.target(), 'jwks.token-kid');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/is not in the JWKS/);
  });

  it('K05 warns when rotation drops the old key at once (OIDC Core §10.1.1 SHOULD)', async () => {
    const issuer = await withFlaw(jwks((keys) => keys.slice(-1)));
    const result = await outcomeOf(issuer.target(), 'jwks.rotation');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/old key \S+ left the JWKS/);
  });

  it('K05 fails when a new key signs tokens the JWKS never publishes', async () => {
    // The proxy hides the newest key: tokens signed by it cannot be resolved at all.
    const issuer = await withFlaw(jwks((keys) => (keys.length > 1 ? keys.slice(0, 1) : keys)));
    const result = await outcomeOf(issuer.target(), 'jwks.rotation');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/which the JWKS does not publish even after the token was issued/);
  });

  it('K05 warns when a new key signs before the JWKS publishes it, but is published right after', async () => {
    // Hides the new key from the first JWKS fetch that has it, as a server that publishes late would.
    let hidden = false;
    const issuer = await withFlaw(
      jwks((keys) => {
        if (keys.length > 1 && !hidden) {
          hidden = true;
          return keys.slice(0, 1);
        }
        return keys;
      }),
    );
    const result = await outcomeOf(issuer.target(), 'jwks.rotation');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/signed a token before the JWKS published it/);
  });

  it('K05 fails when a kid comes to name another key', async () => {
    const replacement = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    let oldKid: unknown;
    const issuer = await withFlaw(
      jwks((keys) => {
        oldKid ??= keys[0]!.kid;
        // After the rotation the old kid is published with different key material.
        return keys.length > 1
          ? keys.map((key) => (key.kid === oldKid ? { ...replacement, kid: oldKid, use: 'sig', alg: 'RS256' } : key))
          : keys;
      }),
    );
    const result = await outcomeOf(issuer.target(), 'jwks.rotation');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/now names a different key than before the rotation/);
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
