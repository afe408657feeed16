/**
 * The replay suite (DPoP, RFC 9449, and single-use bearer tokens) against the reference resource
 * server (passes) and the same server with one deliberate flaw at a time. DPoP rules are switched
 * off in the real verifier through the mocks below (test/support/flawed-rs-dpop.ts).
 */
import { decodeJwt } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { profileSchema } from '../../harness/profile/schema.ts';
import { authorizationOf, flawedRsPerTest, jsonAnswer } from '../support/flawed-rs-errors.ts';
import { startTestStack } from '../support/resource-server.ts';
import { outcomeOf, runSelected } from '../support/run-checks.ts';

vi.mock('../../harness/oauth/dpop.ts', async (importOriginal) => {
  const { flawedDpopModule } = await import('../support/flawed-rs-dpop.ts');
  return flawedDpopModule(await importOriginal());
});
vi.mock('../../harness/reference/resource-server/authorize.ts', async (importOriginal) => {
  const { flawedAuthorizeModule } = await import('../support/flawed-rs-dpop.ts');
  return flawedAuthorizeModule(await importOriginal());
});

const { withFlaw } = flawedRsPerTest();

const outcomes = (results: Map<string, { outcome: string }>) =>
  Object.fromEntries([...results].map(([id, result]) => [id, result.outcome]));

describe('replay suite', () => {
  it('passes against the reference resource server; P08 and P09 skip without nonces or declared endpoints', async () => {
    const rs = await withFlaw();
    const results = await runSelected(rs.target(), { suites: ['replay'] });
    expect(outcomes(results)).toEqual({
      'replay.dpop-valid': 'pass',
      'replay.dpop-jti-replay': 'pass',
      'replay.dpop-htm-htu': 'pass',
      'replay.dpop-iat-window': 'pass',
      'replay.dpop-ath-binding': 'pass',
      'replay.dpop-proof-form': 'pass',
      'replay.dpop-downgrade': 'pass',
      'replay.dpop-nonce': 'skip',
      'replay.bearer-jti-replay': 'skip',
    });
    expect(results.get('replay.dpop-iat-window')!.reason).toMatch(/accepted iat from -(5\d|60) s .* to \+(5\d|60) s/);
    expect(results.get('replay.dpop-nonce')!.reason).toMatch(/uses no server nonces/);
  });

  it('against an RS that trusts the target issuer, the bound tokens come from its token endpoint (DPoP proof there)', async () => {
    const stack = await startTestStack();
    try {
      const profile = profileSchema.parse({
        name: 'issuer-trusting RS',
        issuer: { url: stack.issuer.url, clients: { primary: { id: 'primary', secret: stack.issuer.secrets.primary } } },
        resourceServer: { url: stack.rs.protectedUrl, audience: 'api://default', scope: 'read', trusts: 'issuer' },
      });
      const target = { name: profile.name, profile, baseDir: process.cwd() };
      const results = await runSelected(target, { checks: ['P01', 'P05', 'P07'] });
      expect(outcomes(results)).toEqual({
        'replay.dpop-valid': 'pass',
        'replay.dpop-ath-binding': 'pass',
        'replay.dpop-downgrade': 'pass',
      });
      const withoutDpop = profileSchema.parse({
        ...profile,
        issuer: { ...profile.issuer, capabilities: ['revocation', 'introspection'] },
      });
      const skipped = await outcomeOf({ ...target, profile: withoutDpop }, 'replay.dpop-valid');
      expect(skipped.outcome).toBe('skip');
      expect(skipped.reason).toMatch(/is not declared to support DPoP .* no DPoP-bound token can be had/);
    } finally {
      await stack.close();
    }
  });

  it('with server nonces every DPoP check passes, P08 included', async () => {
    const rs = await withFlaw({ config: { dpop: { nonce: true } } });
    const results = await runSelected(rs.target(), { suites: ['replay'] });
    const dpop = [...results].filter(([id]) => id.startsWith('replay.dpop'));
    expect(Object.fromEntries(dpop.map(([id, result]) => [id, result.outcome]))).toEqual(
      Object.fromEntries(dpop.map(([id]) => [id, 'pass'])),
    );
    expect(results.get('replay.dpop-valid')!.reason).toMatch(/with the server nonce/);
  });

  it('skips the DPoP checks for an RS without DPoP and says how it knows; P01 fails when DPoP is declared', async () => {
    const rs = await withFlaw({ config: { dpop: { enabled: false } } });
    const skipped = await outcomeOf(rs.target(), 'replay.dpop-valid');
    expect(skipped.outcome).toBe('skip');
    expect(skipped.reason).toMatch(/does not support DPoP: it refused .* its challenge offers no DPoP scheme/);
    expect((await outcomeOf(rs.target(), 'replay.dpop-jti-replay')).outcome).toBe('skip');
    const declared = await outcomeOf(rs.target({ dpop: { supported: true } }), 'replay.dpop-valid');
    expect(declared.outcome).toBe('fail');
    expect(declared.reason).toMatch(/profile declares DPoP .* but it refused/);
  });

  it('P02 warns without a DPoP replay cache', async () => {
    const rs = await withFlaw({ context: (ctx) => (ctx.dpopReplay = { add: () => true } as unknown as typeof ctx.dpopReplay) });
    const result = await outcomeOf(rs.target(), 'replay.dpop-jti-replay');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/accepted twice/);
  });

  it('P03 fails when htm or htu is ignored', async () => {
    for (const [flaw, finding] of [
      ['ignore-htm', /htm names another method/],
      ['ignore-htu', /htu names another path/],
    ] as const) {
      const rs = await withFlaw({ dpop: flaw });
      const result = await outcomeOf(rs.target(), 'replay.dpop-htm-htu');
      expect(result.outcome, flaw).toBe('fail');
      expect(result.reason).toMatch(finding);
      await rs.close();
    }
  });

  it('P03 warns when htu is compared byte for byte (no normalisation)', async () => {
    const rs = await withFlaw({ dpop: 'strict-htu' });
    const result = await outcomeOf(rs.target(), 'replay.dpop-htm-htu');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/htu differs only in the case of scheme and host .*htu carries a query/);
  });

  it('P04 warns when proofs 300 s off are accepted', async () => {
    const rs = await withFlaw({ config: { dpop: { maxSkew: '400s' } } });
    const result = await outcomeOf(rs.target(), 'replay.dpop-iat-window');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/iat -300 s is accepted \(accepted iat from -39\d s/);
  });

  it('P04 warns when proofs an hour off are accepted, or proofs 10 s off refused (RFC 9449 §11.1 leaves the window to the server)', async () => {
    const wide = await withFlaw({ config: { dpop: { maxSkew: '2h' } } });
    const result = await outcomeOf(wide.target(), 'replay.dpop-iat-window');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(
      /iat -3600 s and \+3600 s were accepted .*preferably only "on the order of seconds or minutes"/,
    );
    const narrow = await withFlaw({ config: { dpop: { maxSkew: '5s' } } });
    const strict = await outcomeOf(narrow.target(), 'replay.dpop-iat-window');
    expect(strict.outcome).toBe('warn');
    expect(strict.reason).toMatch(/iat -10 s was refused.*iat \+10 s was refused/);
  });

  it('P04 fails when iat is not bounded (a proof a year old is accepted)', async () => {
    const rs = await withFlaw({ config: { dpop: { maxSkew: '1000d' } } });
    const result = await outcomeOf(rs.target(), 'replay.dpop-iat-window');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/iat -365 days and \+365 days were accepted .*MUST only accept DPoP proofs for a limited time/);
  });

  it('P05 fails when ath or the key binding is ignored', async () => {
    for (const [flaw, finding] of [
      ['ignore-ath', /ath hashes another token/],
      ['ignore-key-binding', /other than the token's cnf.jkt/],
    ] as const) {
      const rs = await withFlaw({ dpop: flaw });
      const result = await outcomeOf(rs.target(), 'replay.dpop-ath-binding');
      expect(result.outcome, flaw).toBe('fail');
      expect(result.reason).toMatch(finding);
      await rs.close();
    }
  });

  it('P06 fails when the proof is decoded instead of verified', async () => {
    const rs = await withFlaw({ dpop: 'decode-not-verify' });
    const result = await outcomeOf(rs.target(), 'replay.dpop-proof-form');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/alg none, no signature; .*one bit of the signature flipped/);
  });

  it('P07 fails when a DPoP-bound token is accepted as a Bearer token', async () => {
    const rs = await withFlaw({ dpop: 'bearer-downgrade' });
    const result = await outcomeOf(rs.target(), 'replay.dpop-downgrade');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/the DPoP-bound token sent as a Bearer token/);
  });

  it('P08 fails when the RS asks for nonces but takes any', async () => {
    const rs = await withFlaw({
      config: { dpop: { nonce: true } },
      context: (ctx) => {
        ctx.dpopNonces!.accepts = (nonce: unknown) => typeof nonce === 'string';
      },
    });
    const result = await outcomeOf(rs.target(), 'replay.dpop-nonce');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/never issued was accepted/);
  });

  it('P09 passes at a single-use endpoint and fails where a token works twice', async () => {
    const seen = new Set<string>();
    const gateway = await withFlaw({
      request: (request) => {
        const token = authorizationOf(request)?.split(' ')[1];
        if (!request.url.startsWith('/protected/high') || !token) return request;
        const jti = String(decodeJwt(token).jti);
        if (seen.has(jti))
          return jsonAnswer(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
        seen.add(jti);
        return request;
      },
    });
    const passed = await outcomeOf(
      gateway.target({ highAssurance: [`${gateway.url}/protected/high`] }),
      'replay.bearer-jti-replay',
    );
    expect(passed.outcome).toBe('pass');
    const plain = await withFlaw();
    const failed = await outcomeOf(plain.target({ highAssurance: [`${plain.url}/protected/high`] }), 'replay.bearer-jti-replay');
    expect(failed.outcome).toBe('fail');
    expect(failed.reason).toMatch(/accepted twice at the high-assurance endpoint/);
  });
});
