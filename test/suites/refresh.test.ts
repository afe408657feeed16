/**
 * The refresh suite against the real reference issuer, in its rfc9700 and fapi2 modes (passes),
 * and with one deliberate flaw at a time: the check guarding it fails (MUST) or warns (SHOULD).
 * One issuer per mode serves the whole file; each test switches its flaw in.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Capability } from '../../harness/profile/schema.ts';
import type { Target } from '../../harness/runner/target.ts';
import { RunCache } from '../../harness/steps/index.ts';
import { type FlawedIssuer, startFlawedIssuer } from '../support/flawed-issuer.ts';
import { outcomeOf, runSelected } from '../support/run-checks.ts';
import {
  dpopBindingIgnored,
  loginAddsScope,
  refreshNotBoundToClient,
  refreshRepeatsLoginAccessToken,
  refreshScopeEscalation,
  refreshStoreLosesUpdates,
  refreshWithoutAuthAccepted,
  reuseNotDetected,
  reuseRefusedWithoutRevoking,
  tokenAnswer,
} from '../support/token-flaws.ts';

let issuer: FlawedIssuer;
let fapi: FlawedIssuer;
/** One login browser per issuer for the file's runs (disposed at the end). */
const cache = new RunCache();
const fapiCache = new RunCache();

beforeAll(async () => {
  [issuer, fapi] = await Promise.all([
    startFlawedIssuer(),
    startFlawedIssuer([], { refresh: { mode: 'fapi2', graceWindow: '5s' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([cache.dispose(), fapiCache.dispose()]);
  await Promise.all([issuer?.close(), fapi?.close()]);
});
afterEach(() => issuer.setFlaws([]));

/** The flawed issuer's target with issuer fields changed (durations re-given: the parsed ones are milliseconds). */
function variant(on: FlawedIssuer, change: Record<string, unknown>): Target {
  const base = on.target().profile.issuer!;
  return on.target({ issuer: { ...base, login: { ...base.login, stepTimeout: '10s' }, ...change } as never });
}
const fapiTarget = (on: FlawedIssuer) => variant(on, { profile: 'fapi2', graceWindow: '5s' });
/** The profile declares refresh_rotation: used refresh tokens must die (MUST for R05, R06, R09). */
const declared: Capability[] = ['refresh_rotation', 'introspection', 'revocation', 'dpop'];
const rotationDeclared = (on: FlawedIssuer) => variant(on, { capabilities: declared });
/** The login client is the public one (auth none): RFC 9700 §4.14.2 requires replay detection for it. */
const publicLogin = (on: FlawedIssuer) =>
  variant(on, {
    clients: { ...on.target().profile.issuer!.clients, primary: { id: 'spa', auth: 'none', scopes: ['openid', 'read'] } },
  });
/** What R05, R06 and R09 say when the old refresh token may live on (RFC 6749 §6, RFC 9700 §4.14.2). */
const notRequired =
  /not a MUST here: a confidential client \(client_secret_basic\) and no refresh_rotation declared: RFC 6749 §6 says the server "MAY revoke the old refresh token after issuing a new refresh token", and RFC 9700 §4\.14\.2 requires replay detection only for public clients/;

describe('refresh suite', () => {
  it('passes against the reference issuer (rfc9700); the fapi2 check is skipped with the reason', async () => {
    const results = await runSelected(issuer.target(), { suites: ['refresh'] }, { cache });
    for (const [id, result] of results) {
      if (id === 'refresh.grace-window') {
        expect(result.reason).toMatch(/applies to the fapi2 profile; this target is rfc9700/);
        continue;
      }
      expect(`${result.outcome}: ${result.reason}`, id).toMatch(/^pass: /);
      expect(result.evidence.exchanges.length + result.evidence.notes.length).toBeGreaterThan(0);
    }
    expect(results.size).toBe(10);
    expect(results.get('refresh.refresh-grant')!.reason).toMatch(/user login in Chromium for the primary client/);
    expect(results.get('refresh.concurrent-refresh')!.reason).toMatch(
      /8 concurrent refreshes \(rfc9700 rules: a refresh token works once\): 1 × HTTP 200, 7 refused; 1 distinct refresh token\(s\) handed out, 0 still live/,
    );
  });

  it('passes against the reference issuer in fapi2 mode: the retry inside the window works, and not after it', async () => {
    const results = await runSelected(fapiTarget(fapi), { checks: ['R08', 'R09'] }, { cache: fapiCache });
    const grace = results.get('refresh.grace-window')!;
    expect(`${grace.outcome}: ${grace.reason}`).toMatch(
      /^pass: retry inside the window: HTTP 200; after it \(issuer clock shifted\)/,
    );
    expect(results.get('refresh.concurrent-refresh')!.outcome).toBe('pass');
    const reuse = await outcomeOf(fapiTarget(fapi), 'refresh.reuse-refused', { cache: fapiCache });
    expect(reuse.outcome).toBe('skip');
  });

  it('R01 fails when the refresh answer has no access token; it says when the token came from the command', async () => {
    issuer.setFlaws([tokenAnswer('refresh_token', (body) => delete body.access_token)]);
    const result = await outcomeOf(issuer.target(), 'refresh.refresh-grant', { cache });
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/no access_token/);
    issuer.setFlaws([]);
    const seed = await issuer.issuer.login(issuer.issuer.primary);
    const command = variant(issuer, {
      login: {
        refreshTokenCommand: {
          command: [process.execPath, '-e', 'process.stdout.write(process.env.RT)'],
          env: { RT: seed.body.refresh_token! },
        },
      },
    });
    const viaCommand = await outcomeOf(command, 'refresh.refresh-grant', { cache });
    expect(viaCommand.outcome).toBe('pass');
    expect(viaCommand.reason).toMatch(
      /refresh token from the profile's refreshTokenCommand \(primary client; no browser login\)/,
    );
  });

  it("R01 warns, not fails, when the refreshed access token is byte-identical to the login's", async () => {
    issuer.setFlaws([refreshRepeatsLoginAccessToken()]);
    const result = await outcomeOf(issuer.target(), 'refresh.refresh-grant', { cache });
    expect(`${result.outcome}: ${result.reason}`).toMatch(
      /^warn: the refresh answer repeats the access token of the login byte for byte: RFC 6749 §6 requires only that the server "issues an access token"/,
    );
  });

  it('R02 fails on scope escalation at refresh', async () => {
    issuer.setFlaws([refreshScopeEscalation]);
    const result = await outcomeOf(issuer.target(), 'refresh.scope-escalation', { cache });
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(
      /the refreshed token carries write, which the user never granted \(token claim; RFC 6749 §6: not "originally granted by the resource owner"\)/,
    );
  });

  it('R02 does not count a scope the login granted unasked (a default scope) as escalation', async () => {
    // Keycloak adds its default scopes to a login: what the login granted may come back on refresh.
    issuer.setFlaws([loginAddsScope('write')]);
    const result = await outcomeOf(issuer.target(), 'refresh.scope-escalation', { cache });
    expect(`${result.outcome}: ${result.reason}`).toMatch(
      /^skip: the login granted openid read write \(the login answer's scope\), which covers every scope left to ask for \(write\): no ungranted scope is left to probe, and RFC 6749 §6 forbids only scope "not originally granted by the resource owner"/,
    );
  });

  it('R03 fails when another client can use the refresh token', async () => {
    issuer.setFlaws([refreshNotBoundToClient]);
    const result = await outcomeOf(issuer.target(), 'refresh.cross-client', { cache });
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/client secondary refreshed client primary's refresh token/);
  });

  it('R04 fails when a confidential client refreshes without authenticating', async () => {
    issuer.setFlaws([refreshWithoutAuthAccepted]);
    const result = await outcomeOf(issuer.target(), 'refresh.client-auth-required', { cache });
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/with client_id only succeeded/);
  });

  it('R05 fails when reuse is not detected for a public client or declared rotation; a confidential client only warns', async () => {
    issuer.setFlaws([reuseNotDetected]);
    const promised = await outcomeOf(rotationDeclared(issuer), 'refresh.reuse-refused', { cache });
    expect(`${promised.outcome}: ${promised.reason}`).toMatch(
      /^fail: the rotated refresh token RT1 still works \(HTTP 200\): reuse is not detected \(required: the profile declares refresh_rotation/,
    );
    const spa = await outcomeOf(publicLogin(issuer), 'refresh.reuse-refused', { cache });
    expect(`${spa.outcome}: ${spa.reason}`).toMatch(
      /^fail: .*reuse is not detected \(required: a public client: RFC 9700 §4\.14\.2 requires refresh token replay detection for public clients\)/,
    );
    // RFC 6749 §6: the server "MAY revoke the old refresh token": a confidential client's RT1 may keep working.
    const confidential = await outcomeOf(issuer.target(), 'refresh.reuse-refused', { cache });
    expect(confidential.outcome).toBe('warn');
    expect(confidential.reason).toMatch(/^RT1 still works after the refresh issued RT2 \(HTTP 200\)/);
    expect(confidential.reason).toMatch(notRequired);
    // With nothing replayed, R06 and R07 have no family revocation to judge: they skip, saying why.
    for (const id of ['refresh.family-revoked', 'refresh.family-access-tokens']) {
      const after = await outcomeOf(issuer.target(), id, { cache });
      expect(`${after.outcome}: ${after.reason}`, id).toMatch(/^skip: RT1 still works after the rotation \(HTTP 200\)/);
    }
  });

  it('R05 skips without rotation, unless rotation is declared', async () => {
    issuer.setFlaws([tokenAnswer('refresh_token', (body) => delete body.refresh_token)]);
    const notRotating = await outcomeOf(issuer.target(), 'refresh.reuse-refused', { cache });
    expect(notRotating.outcome).toBe('skip');
    expect(notRotating.reason).toMatch(/rotation is required only for public clients \(RFC 9700 §2\.2\.2, §4\.14\.2\)/);
    const promised = await outcomeOf(rotationDeclared(issuer), 'refresh.reuse-refused', { cache });
    expect(promised.outcome).toBe('fail');
    expect(promised.reason).toMatch(/declares refresh_rotation, but refreshing returned no new refresh token/);
  });

  it('R06 fails (declared rotation) or warns (confidential client), and R07 warns, when a replay is refused without revoking the family', async () => {
    issuer.setFlaws([reuseRefusedWithoutRevoking]);
    const family = await outcomeOf(rotationDeclared(issuer), 'refresh.family-revoked', { cache });
    expect(family.outcome).toBe('fail');
    expect(family.reason).toMatch(
      /RT2 still works \(HTTP 200\): the family was not revoked.*\(required: the profile declares refresh_rotation/,
    );
    const confidential = await outcomeOf(issuer.target(), 'refresh.family-revoked', { cache });
    expect(confidential.outcome).toBe('warn');
    expect(confidential.reason).toMatch(/RT2 still works \(HTTP 200\): the family was not revoked/);
    expect(confidential.reason).toMatch(notRequired);
    const accessTokens = await outcomeOf(issuer.target(), 'refresh.family-access-tokens', { cache });
    expect(accessTokens.outcome).toBe('warn');
    expect(accessTokens.reason).toMatch(/the family's access token is still active at introspection/);
  });

  it('R08 fails when a rotated refresh token still works after the grace window', async () => {
    fapi.setFlaws([reuseNotDetected]);
    try {
      const result = await outcomeOf(fapiTarget(fapi), 'refresh.grace-window', { cache: fapiCache });
      expect(result.outcome).toBe('fail');
      expect(result.reason).toMatch(/RT1 still works after the 5000 ms grace window/);
    } finally {
      fapi.setFlaws([]);
    }
  });

  it('R08 fails when the fapi2 profile meets an issuer without a grace window', async () => {
    const result = await outcomeOf(fapiTarget(issuer), 'refresh.grace-window', { cache: cache });
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/a retry with the rotated token \d+ ms after the rotation answered HTTP 400 invalid_grant/);
  });

  it('R09 fails when a refresh race mints several live refresh tokens under declared rotation; a confidential client only warns', async () => {
    const restore = refreshStoreLosesUpdates(issuer.issuer);
    try {
      const result = await outcomeOf(rotationDeclared(issuer), 'refresh.concurrent-refresh', { cache });
      expect(result.outcome).toBe('fail');
      expect(result.reason).toMatch(
        /: 8 × HTTP 200, 0 refused; 8 distinct refresh token\(s\) handed out, 8 still live: the race forked .*\(required: the profile declares refresh_rotation/,
      );
      expect(result.evidence.notes.filter((note) => /^request \d: HTTP 200/.test(note))).toHaveLength(8);
      const confidential = await outcomeOf(issuer.target(), 'refresh.concurrent-refresh', { cache });
      expect(confidential.outcome).toBe('warn');
      expect(confidential.reason).toMatch(/8 still live: the race forked the grant into 8 live refresh tokens/);
      expect(confidential.reason).toMatch(notRequired);
    } finally {
      restore();
    }
  });

  it('R10 fails when the DPoP binding of a public client refresh token is not enforced', async () => {
    issuer.setFlaws([dpopBindingIgnored]);
    const result = await outcomeOf(issuer.target(), 'refresh.dpop-bound', { cache });
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/worked without a DPoP proof/);
  });
});
