/**
 * The rs-claims suite against the real reference resource server (passes), against the flawless
 * test RS of test/support/flawed-rs.ts (passes: the yardstick is sound), and against that RS with
 * one flaw at a time (the check that guards the flaw fails, or warns for a SHOULD).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { profileSchema } from '../../harness/profile/schema.ts';
import { type RunningResourceServer, startResourceServer } from '../../harness/reference/resource-server/server.ts';
import type { CheckResult } from '../../harness/results/model.ts';
import type { Target } from '../../harness/runner/target.ts';
import { type RunningTestIssuer, startHarnessIssuer } from '../../harness/test-issuer/server.ts';
import { judge } from '../../suites/rs-claims/forged.ts';
import { type FlawedRs, type RsFlaw, startFlawedRs } from '../support/flawed-rs.ts';
import { startTestStack } from '../support/resource-server.ts';
import { runSelected } from '../support/run-checks.ts';
import { startVulnerableRs } from '../support/vulnerable-rs.ts';

const audience = 'api://rs-claims-test';
let testIssuer: RunningTestIssuer;
const running: FlawedRs[] = [];

beforeAll(async () => {
  testIssuer = await startHarnessIssuer({ audience, scope: 'read' });
});
afterAll(async () => {
  await testIssuer.close();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((rs) => rs.close()));
});

async function flawed(flaw?: RsFlaw, leewaySeconds?: number): Promise<Target> {
  const rs = await startFlawedRs({ testIssuer, audience, ...(flaw && { flaw }), ...(leewaySeconds && { leewaySeconds }) });
  running.push(rs);
  return rs.target();
}

const outcomes = (results: Map<string, CheckResult>) =>
  [...results.values()].map((result) => ({ id: result.catalog, outcome: result.outcome, reason: result.reason }));

function expectAllPass(results: Map<string, CheckResult>) {
  expect(results.size).toBe(29);
  for (const result of outcomes(results)) expect(result).toMatchObject({ outcome: 'pass' });
}

describe('rs-claims suite', () => {
  it('passes against the reference resource server', async () => {
    let rs: RunningResourceServer | undefined;
    try {
      rs = await startResourceServer({
        issuer: testIssuer.url,
        jwksUri: testIssuer.jwksUri,
        audience,
        requiredScope: ['read'],
        jwks: { cooldown: '1s', refreshInterval: '2s' },
        revocationEvents: { enabled: false },
      });
      const profile = profileSchema.parse({
        name: 'reference resource server',
        resourceServer: { url: rs.protectedUrl, audience, scope: 'read', trusts: 'harness', jwksCacheWindow: '5s' },
      });
      const results = await runSelected(
        { name: profile.name, profile, baseDir: process.cwd(), testIssuer },
        { suites: ['rs-claims'] },
      );
      expectAllPass(results);
      // Every forged token went through the redactor: no usable signature anywhere in the results.
      expect(JSON.stringify([...results.values()])).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]*\.[\w-]{20,}/);
      expect(results.get('rs-claims.valid-token')!.reason).toMatch(/accepted valid at\+jwt tokens signed RS256, ES256/);
      expect(results.get('rs-claims.leeway')!.reason).toMatch(/up to (28|29|30) s past exp and (29|30|31) s before nbf/);
      expect(results.get('rs-claims.removed-key')!.reason).toMatch(/observed cache window.*within the declared 5\.0 s/);
    } finally {
      await rs?.close();
    }
  });

  it('passes against the flawless test resource server (the yardstick of the flaw tests)', async () => {
    expectAllPass(await runSelected(await flawed(), { suites: ['rs-claims'] }));
  });

  it('S01 fails with the finding for an RS that refuses at+jwt and accepts JWT; the rest runs typed JWT', async () => {
    const results = await runSelected(await flawed('jwt-typ-only'), { suites: ['rs-claims'] });
    const notPassing = outcomes(results).filter((result) => result.outcome !== 'pass');
    expect(notPassing.map((result) => [result.id, result.outcome])).toEqual([
      ['S01', 'fail'],
      ['S20', 'fail'],
    ]);
    expect(results.get('rs-claims.valid-token')!.reason).toMatch(
      /refused valid tokens typed at\+jwt .* but accepted the same tokens typed JWT .*the reverse of RFC 9068 §4/,
    );
  });

  it('an RS that accepts any typ fails S20 and nothing else', async () => {
    const results = await runSelected(await flawed('ignores-typ'), { suites: ['rs-claims'] });
    const failing = outcomes(results).filter((result) => result.outcome === 'fail' || result.outcome === 'error');
    expect(failing.map((result) => result.id)).toEqual(['S20']);
    expect(results.get('rs-claims.explicit-typing')!.reason).toMatch(/typ-jwt .*accepted it/);
    // The other kinds are accepted because of the one rule: graded SHOULD, not failed again.
    expect(results.get('rs-claims.other-jwt-kinds')!.outcome).toBe('warn');
  });

  it('every RS check is error naming S01 when no valid token is accepted', async () => {
    const results = await runSelected(await flawed('refuses-everything'), { checks: ['S01', 'S02', 'S29'] });
    expect(results.get('rs-claims.valid-token')).toMatchObject({
      outcome: 'fail',
      reason: expect.stringMatching(/refused a valid token/),
    });
    for (const id of ['rs-claims.alg-none', 'rs-claims.leeway'])
      expect(results.get(id)).toMatchObject({
        outcome: 'error',
        reason: expect.stringMatching(/^the positive control S01 \(rs-claims\.valid-token\) failed: /),
      });
  });

  const cases: [RsFlaw, string, 'fail' | 'warn', RegExp][] = [
    ['alg-none', 'S02', 'fail', /alg-none .*accepted it \(HTTP 200\)/],
    ['echoes-token', 'S02', 'fail', /echoed the token/],
    ['no-signature-check', 'S03', 'fail', /signature-altered .*accepted it/],
    ['hs-key-confusion', 'S04', 'fail', /hs256-public-key-pem .*accepted it/],
    ['hs-shared-secret', 'S05', 'fail', /hs256-weak-secret .*accepted it/],
    ['psychic-ecdsa', 'S06', 'fail', /es256-zero-signature .*accepted it/],
    ['any-alg', 'S07', 'fail', /alg-not-allowed-ps256 .*accepted it/],
    ['embedded-jwk', 'S08', 'fail', /jwk-header-attacker .*accepted it/],
    ['fetches-jku', 'S09', 'fail', /jku-listener .*fetched \/jku\/attacker\.json from the harness listener/],
    ['trusts-x5c', 'S10', 'fail', /x5c-self-signed .*accepted it/],
    ['kid-file', 'S11', 'fail', /kid-path-traversal: accepted it/],
    ['refetch-every-request', 'S12', 'warn', /refetched the JWKS [3-9] times for 5 unknown kids/],
    // RFC 7517 §4.2 puts no requirement on the verifier: a use:enc key verifying is a warning.
    ['ignores-key-use', 'S13', 'warn', /kid-enc-key-enc-\w+ .*accepted it/],
    [
      'keeps-removed-keys',
      'S14',
      'fail',
      /still accepted .* after it left the JWKS; the profile declares a cache window of 3\.0 s/,
    ],
    ['never-refreshes', 'S15', 'fail', /still refused after .*does not refetch/],
    ['ignores-exp', 'S16', 'fail', /exp-past .*accepted it/],
    ['ignores-nbf', 'S17', 'fail', /nbf-future .*accepted it/],
    ['ignores-aud', 'S18', 'fail', /aud-wrong .*accepted it/],
    ['ignores-iss', 'S19', 'fail', /iss-foreign .*accepted it/],
    ['typ-suffix-only', 'S21', 'fail', /logout-token .*accepted it/],
    ['ignores-crit', 'S22', 'fail', /crit-unknown .*accepted it/],
    // RFC 7515 §4.1.11: a recipient MAY refuse crit: [] (producers MUST NOT send it).
    ['accepts-empty-crit', 'S22', 'warn', /^accepted what it should refuse \(SHOULD\): crit-empty .*accepted it/],
    ['first-duplicate-wins', 'S23', 'fail', /duplicate-header-alg .*accepted it/],
    ['crashes-on-odd-claims', 'S24', 'fail', /type-scope-null .*HTTP 500/],
    // An array of exactly the granted scope grants nothing more: a warning, not a failure.
    [
      'scope-array',
      'S24',
      'warn',
      /^accepted wrong-typed claims .*type-scope-array \(scope is an array of exactly the granted values \(read\)\): accepted it/,
    ],
    ['crashes-on-malformed', 'S25', 'fail', /segments-two .*HTTP 500/],
    ['lenient-base64', 'S26', 'warn', /padding-header .*accepted it/],
    ['crashes-on-huge-token', 'S27', 'fail', /size-1mib: HTTP 500/],
    ['huge-token-429', 'S27', 'fail', /size-8kib: HTTP 429 \(rate limiting, not a refusal of the token\)/],
    ['crashes-on-malformed', 'S28', 'fail', /jwe-to-signing-key .*HTTP 500/],
  ];
  for (const [flaw, code, outcome, reason] of cases) {
    it(`${code} ${outcome}s against an RS with the flaw ${flaw}`, async () => {
      const results = await runSelected(await flawed(flaw), { checks: [code] });
      const result = [...results.values()].find((candidate) => candidate.catalog === code)!;
      expect({ outcome: result.outcome, reason: result.reason }).toMatchObject({
        outcome,
        reason: expect.stringMatching(reason),
      });
    });
  }

  it('S13 fails when a key advertised for another alg verifies (RFC 8725 §3.1), not only warns', async () => {
    const mismatched = await testIssuer.addKey({ alg: 'RS256', advertisedAlg: 'ES256' });
    try {
      const results = await runSelected(await flawed('ignores-key-use'), { checks: ['S13'] });
      expect(results.get('rs-claims.key-type')).toMatchObject({
        outcome: 'fail',
        reason: expect.stringMatching(new RegExp(`kid-advertised-alg-mismatch-${mismatched.kid} .*accepted it`)),
      });
      // The flawless RS refuses both.
      expect((await runSelected(await flawed(), { checks: ['S13'] })).get('rs-claims.key-type')!.outcome).toBe('pass');
    } finally {
      testIssuer.removeKey(mismatched.kid);
    }
  });

  it('S27 passes a 403 refusal (a gateway), noting it is not one of 400/401/413/431', async () => {
    const results = await runSelected(await flawed('huge-token-403'), { checks: ['S27'] });
    expect(results.get('rs-claims.token-size')).toMatchObject({
      outcome: 'pass',
      reason: expect.stringMatching(/size-8kib HTTP 403.*size-1mib HTTP 403.*another 4xx than 400\/401\/413\/431, noted/),
    });
  });

  it('S29 fails above 300 s of leeway and passes a few minutes, saying how much', async () => {
    const wide = await runSelected(await flawed(undefined, 600), { checks: ['S29'] });
    expect(wide.get('rs-claims.leeway')).toMatchObject({
      outcome: 'fail',
      reason: expect.stringMatching(/up to 59[89] s past exp.*above 300 s/),
    });
    // RFC 7519 §4.1.4: "usually no more than a few minutes"; 120 s (and ASP.NET's 300 s) is within it.
    const loose = await runSelected(await flawed(undefined, 120), { checks: ['S29'] });
    expect(loose.get('rs-claims.leeway')).toMatchObject({
      outcome: 'pass',
      reason: expect.stringMatching(/up to 11[89] s past exp.*within RFC 7519 §4\.1\.4's "no more than a few minutes"/),
    });
    const aspNet = await runSelected(await flawed(undefined, 300), { checks: ['S29'] });
    expect(aspNet.get('rs-claims.leeway')).toMatchObject({
      outcome: 'pass',
      reason: expect.stringMatching(/up to (298|299|300) s past exp/),
    });
  });

  it('catches jsonwebtoken 8.5.1 verifying without an algorithms list (alg none, CVE-2022-23540)', async () => {
    const rs = await startVulnerableRs({ testIssuer, audience });
    try {
      // All but S14: this RS refreshes its keys only on an unknown kid, so S14 would poll its full 30 s.
      const codes = Array.from({ length: 29 }, (_, index) => `S${String(index + 1).padStart(2, '0')}`).filter(
        (code) => code !== 'S14',
      );
      const results = await runSelected(rs.target(), { checks: codes });
      expect(results.get('rs-claims.valid-token')!.outcome).toBe('pass');
      expect(results.get('rs-claims.alg-none')).toMatchObject({
        outcome: 'fail',
        reason: expect.stringMatching(/alg-none \(alg "none" with an empty signature\): accepted it \(HTTP 200\)/),
      });
      // jsonwebtoken accepts any typ: the other finding the suite makes about it.
      expect(results.get('rs-claims.explicit-typing')!.outcome).toBe('fail');
      const errors = [...results.values()].filter((result) => result.outcome === 'error');
      expect(errors.map((result) => `${result.catalog}: ${result.reason}`)).toEqual([]);
      // What else the suite finds about it, each a true finding about jsonwebtoken 8.5.1: no
      // allow-list beyond the key type, exp optional, crit ignored, any typ, no refetch cool-down.
      expect(
        outcomes(results)
          .filter((result) => result.outcome !== 'pass')
          .map((result) => `${result.id} ${result.outcome}`),
      ).toEqual(['S02 fail', 'S07 fail', 'S12 warn', 'S16 fail', 'S20 fail', 'S21 warn', 'S22 fail', 'S24 warn']);
    } finally {
      await rs.close();
    }
  });

  it('against an RS that trusts the target issuer: what needs no trusted key runs, the rest skips saying so', async () => {
    const stack = await startTestStack();
    try {
      const profile = profileSchema.parse({
        name: 'reference RS trusting the reference issuer',
        issuer: { url: stack.issuer.url, clients: { primary: { id: 'primary', secret: stack.issuer.secrets.primary } } },
        resourceServer: { url: `${stack.rs.url}/protected`, audience: 'api://default', scope: 'read', trusts: 'issuer' },
      });
      const results = await runSelected({ name: profile.name, profile, baseDir: process.cwd() }, { suites: ['rs-claims'] });
      const by = (outcome: string) =>
        outcomes(results)
          .filter((result) => result.outcome === outcome)
          .map((result) => result.id);
      expect(by('fail')).toEqual([]);
      expect(by('error')).toEqual([]);
      expect(by('pass')).toEqual(['S01', 'S02', 'S03', 'S05', 'S07', 'S08', 'S10', 'S11', 'S12', 'S25', 'S26', 'S27']);
      expect(results.get('rs-claims.valid-token')!.reason).toMatch(
        /accepted a token from the target issuer \(alg RS256, typ at\+jwt\)/,
      );
      expect(results.get('rs-claims.expiry')!.reason).toMatch(
        /trusts the target issuer \(trusts: issuer\): this check needs a key the RS trusts/,
      );
      expect(results.get('rs-claims.ecdsa-signatures')!.reason).toMatch(/signs its tokens RS256, not ES256/);
    } finally {
      await stack.close();
    }
  });
});

describe('the forged-token verdict', () => {
  const token = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.${'s'.repeat(43)}`;
  const answer = (status: number, text = '', headers: Record<string, string> = {}) => ({
    status,
    text,
    headers: new Headers(headers),
    durationMs: 1,
  });
  it('passes any 4xx refusal, noting one that is not 401', () => {
    expect(judge(answer(401), token, 'reject')).toEqual({});
    expect(judge(answer(400), token, 'reject')).toEqual({ note: 'refused with HTTP 400 instead of 401' });
    expect(judge(answer(403), token, 'reject')).toEqual({ note: 'refused with HTTP 403 instead of 401' });
  });
  it('fails an acceptance, a server error, no answer and an echo, saying which', () => {
    expect(judge(answer(200), token, 'reject').problem).toBe('accepted it (HTTP 200)');
    expect(judge(answer(502), token, 'reject').problem).toMatch(/HTTP 502 \(a server error/);
    expect(judge(answer(0, 'UND_ERR_CONNECT_TIMEOUT'), token, 'reject').problem).toBe('no answer (UND_ERR_CONNECT_TIMEOUT)');
    expect(judge(answer(401, `bad token ${token}`), token, 'reject').problem).toMatch(/echoed the token/);
    expect(judge(answer(401, '', { 'x-debug': token.split('.')[2]! }), token, 'reject').problem).toMatch(/echoed/);
    // a quoted header is no credential
    expect(judge(answer(401, `header ${token.split('.')[0]}`), token, 'reject')).toEqual({});
  });
  it('needs a 2xx for a token that must be accepted', () => {
    expect(judge(answer(200), token, 'accept')).toEqual({});
    expect(judge(answer(401), token, 'accept').problem).toBe('refused it (HTTP 401)');
  });
});
