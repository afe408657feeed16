/**
 * The reference issuer's refresh_token grant (CHECKS R01-R10): rotation, reuse detection that
 * revokes the whole family (RFC 9700 §4.14.2), the FAPI 2 retry window, concurrent refreshes
 * and DPoP-bound refresh tokens of public clients (RFC 9449 §5).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientAuth, dpopProof, postForm, type TokenAnswer, tokenRequest } from '../../../harness/oauth/client.ts';
import { claimsOf, startTestIssuer, type TestIssuer } from '../../support/issuer.ts';

const refreshTokenFormat = /^[A-Za-z0-9_-]{43}$/;

function refresh(t: TestIssuer, client: ClientAuth | undefined, token: string, extra: Record<string, string> = {}) {
  return tokenRequest(t.endpoints.token, { grant_type: 'refresh_token', refresh_token: token, ...extra }, client);
}

/** Logs alice in and returns the first tokens, failing loudly if the login itself failed. */
async function loginTokens(t: TestIssuer, client: ClientAuth, scope = 'openid read'): Promise<Required<TokenAnswer>> {
  const answer = await t.login(client, { scope });
  if (answer.status !== 200) throw new Error(`login failed: HTTP ${answer.status} ${answer.body.error}`);
  return answer.body as Required<TokenAnswer>;
}

async function introspect(t: TestIssuer, token: string): Promise<Record<string, unknown>> {
  const answer = await postForm(t.endpoints.introspect, { token }, t.primary);
  expect(answer.status).toBe(200);
  return answer.body;
}

/** How many of `tokens` the issuer still considers live refresh tokens (introspection does not consume them). */
async function liveRefreshTokens(t: TestIssuer, tokens: string[]): Promise<string[]> {
  const states = await Promise.all(tokens.map(async (token) => ({ token, active: (await introspect(t, token)).active })));
  return states.filter((state) => state.active === true).map((state) => state.token);
}

describe('refresh, rfc9700 mode', () => {
  let t: TestIssuer;
  beforeAll(async () => {
    t = await startTestIssuer();
  });
  afterAll(() => t?.close());

  it('R01: rotates: a new access token and a new refresh token, same grant', async () => {
    const first = await loginTokens(t, t.primary);
    const next = await refresh(t, t.primary, first.refresh_token);
    expect(next.status).toBe(200);
    expect(next.headers.get('cache-control')).toBe('no-store');
    expect(next.body.token_type).toBe('Bearer');
    expect(next.body.access_token).not.toBe(first.access_token);
    expect(next.body.refresh_token).toMatch(refreshTokenFormat);
    expect(next.body.refresh_token).not.toBe(first.refresh_token);
    const before = claimsOf(first.access_token);
    const after = claimsOf(next.body.access_token!);
    expect(after).toMatchObject({ sub: 'user-alice', client_id: 'primary', scope: 'openid read', auth_time: before.auth_time });
    expect(after.jti).not.toBe(before.jti);
  });

  it('R05-R07: a rotated refresh token presented again is refused and revokes the family', async () => {
    const first = await loginTokens(t, t.primary);
    const second = await refresh(t, t.primary, first.refresh_token);
    expect(second.status).toBe(200);
    const rt2 = second.body.refresh_token!;
    const at2 = second.body.access_token!;
    expect((await introspect(t, at2)).active).toBe(true);
    expect((await introspect(t, rt2)).active).toBe(true);

    const replay = await refresh(t, t.primary, first.refresh_token);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect(replay.body.access_token).toBeUndefined();

    // R06: the successor, which the legitimate client holds, dies with the family.
    const successor = await refresh(t, t.primary, rt2);
    expect(successor.status).toBe(400);
    expect(successor.body.error).toBe('invalid_grant');
    // R07: so do the family's access tokens, old and new.
    expect(await introspect(t, first.access_token)).toEqual({ active: false });
    expect(await introspect(t, at2)).toEqual({ active: false });
    expect(await introspect(t, rt2)).toEqual({ active: false });
  });

  it('R02: refuses a broader scope than granted with invalid_scope, without consuming the token', async () => {
    const first = await loginTokens(t, t.primary, 'openid read');
    const broader = await refresh(t, t.primary, first.refresh_token, { scope: 'openid read write' });
    expect(broader.status).toBe(400);
    expect(broader.body.error).toBe('invalid_scope');
    expect(broader.body.access_token).toBeUndefined();
    expect((await refresh(t, t.primary, first.refresh_token)).status).toBe(200);
  });

  it('grants a narrower scope to the access token while the grant keeps its original scope', async () => {
    const first = await loginTokens(t, t.primary, 'openid read write');
    const narrower = await refresh(t, t.primary, first.refresh_token, { scope: 'read' });
    expect(narrower.status).toBe(200);
    expect(narrower.body.scope).toBe('read');
    expect(claimsOf(narrower.body.access_token!).scope).toBe('read');
    expect(narrower.body.id_token).toBeUndefined();
    // RFC 6749 §6: the new refresh token carries the original grant, not the narrowed request.
    const full = await refresh(t, t.primary, narrower.body.refresh_token!);
    expect(full.status).toBe(200);
    expect(claimsOf(full.body.access_token!).scope).toBe('openid read write');
  });

  it("R03: refuses client B using client A's refresh token", async () => {
    const first = await loginTokens(t, t.primary);
    const stolen = await refresh(t, t.secondary, first.refresh_token);
    expect(stolen.status).toBe(400);
    expect(stolen.body.error).toBe('invalid_grant');
    expect(stolen.body.access_token).toBeUndefined();
    const publicThief = await refresh(t, { method: 'none', clientId: 'spa' }, first.refresh_token);
    expect(publicThief.status).toBe(400);
    expect(publicThief.body.error).toBe('invalid_grant');
    // Positive control: the token was live for its own client.
    const own = await refresh(t, t.primary, first.refresh_token);
    expect(own.status).toBe(200);
    expect(claimsOf(own.body.access_token!).client_id).toBe('primary');
  });

  it('R04: refuses a confidential client that does not authenticate', async () => {
    const first = await loginTokens(t, t.primary);
    const named = await refresh(t, undefined, first.refresh_token, { client_id: 'primary' });
    expect(named.status).toBe(401);
    expect(named.body.error).toBe('invalid_client');
    const anonymous = await refresh(t, undefined, first.refresh_token);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_client');
    const wrongSecret = await refresh(
      t,
      { method: 'client_secret_basic', clientId: 'primary', secret: `${t.secrets.primary}x` },
      first.refresh_token,
    );
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect((await refresh(t, t.primary, first.refresh_token)).status).toBe(200);
  });

  it('R09: of 10 concurrent refreshes with one token exactly one succeeds, and at most one refresh token lives on', async () => {
    const first = await loginTokens(t, t.primary);
    const answers = await Promise.all(Array.from({ length: 10 }, () => refresh(t, t.primary, first.refresh_token)));
    const ok = answers.filter((answer) => answer.status === 200);
    expect(ok).toHaveLength(1);
    for (const answer of answers.filter((candidate) => candidate.status !== 200)) {
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_grant');
    }
    const returned = ok.map((answer) => answer.body.refresh_token!);
    let working = 0;
    for (const token of [first.refresh_token, ...returned]) {
      if ((await refresh(t, t.primary, token)).status === 200) working += 1;
    }
    expect(working).toBeLessThanOrEqual(1);
  });
});

describe('refresh, fapi2 mode (grace window 10 s)', () => {
  let t: TestIssuer;
  beforeAll(async () => {
    t = await startTestIssuer({ refresh: { mode: 'fapi2', graceWindow: '10s' } });
  });
  afterAll(() => t?.close());

  it('R08: a retry with the previous token inside the window works and retires the unused successor', async () => {
    const first = await loginTokens(t, t.primary);
    const lost = await refresh(t, t.primary, first.refresh_token);
    expect(lost.status).toBe(200);
    const rt2 = lost.body.refresh_token!;

    // The client never saw `lost` and retries with RT1.
    const retry = await refresh(t, t.primary, first.refresh_token);
    expect(retry.status).toBe(200);
    const rt3 = retry.body.refresh_token!;
    expect(rt3).toMatch(refreshTokenFormat);
    expect(rt3).not.toBe(rt2);
    expect(retry.body.access_token).not.toBe(lost.body.access_token);

    // Exactly one live refresh token remains: the retry's.
    expect(await liveRefreshTokens(t, [first.refresh_token, rt2, rt3])).toEqual([rt3]);
    const next = await refresh(t, t.primary, rt3);
    expect(next.status).toBe(200);
    const retired = await refresh(t, t.primary, rt2);
    expect(retired.status).toBe(400);
    expect(retired.body.error).toBe('invalid_grant');
  });

  it('refuses a retry after the window and revokes the family', async () => {
    const first = await loginTokens(t, t.primary);
    const second = await refresh(t, t.primary, first.refresh_token);
    expect(second.status).toBe(200);
    await t.setClockOffset(15);
    try {
      const late = await refresh(t, t.primary, first.refresh_token);
      expect(late.status).toBe(400);
      expect(late.body.error).toBe('invalid_grant');
      const successor = await refresh(t, t.primary, second.body.refresh_token!);
      expect(successor.status).toBe(400);
      expect(successor.body.error).toBe('invalid_grant');
      expect(await introspect(t, second.body.access_token!)).toEqual({ active: false });
    } finally {
      await t.setClockOffset(0);
    }
  });

  it('treats the previous token as reused once its successor was used, and revokes the family', async () => {
    const first = await loginTokens(t, t.primary);
    const second = await refresh(t, t.primary, first.refresh_token);
    const third = await refresh(t, t.primary, second.body.refresh_token!);
    expect(third.status).toBe(200);
    const replay = await refresh(t, t.primary, first.refresh_token);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    const current = await refresh(t, t.primary, third.body.refresh_token!);
    expect(current.status).toBe(400);
    expect(current.body.error).toBe('invalid_grant');
    expect(await introspect(t, third.body.access_token!)).toEqual({ active: false });
  });

  it('R09: concurrent retries inside the window leave exactly one live refresh token', async () => {
    const first = await loginTokens(t, t.primary);
    const answers = await Promise.all(Array.from({ length: 10 }, () => refresh(t, t.primary, first.refresh_token)));
    // Inside the window every retry is answered, each retiring the successor before it.
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    const returned = answers.map((answer) => answer.body.refresh_token!);
    expect(new Set(returned).size).toBe(10);
    const live = await liveRefreshTokens(t, [first.refresh_token, ...returned]);
    expect(live).toHaveLength(1);
    expect((await refresh(t, t.primary, live[0]!)).status).toBe(200);
  });
});

describe('R10: DPoP-bound refresh tokens of a public client', () => {
  let t: TestIssuer;
  beforeAll(async () => {
    t = await startTestIssuer();
  });
  afterAll(() => t?.close());

  const newKey = () => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }), alg: 'ES256' });
  const proofFor = (key: { privateKey: KeyObject; publicKey: KeyObject; alg: string }) =>
    dpopProof(key, { htm: 'POST', htu: t.endpoints.token });
  const refreshWithProof = async (token: string, proof?: string) =>
    tokenRequest(
      t.endpoints.token,
      { grant_type: 'refresh_token', refresh_token: token },
      t.spa,
      proof === undefined ? {} : { dpop: proof },
    );

  it('binds the tokens to the proof key and refuses a refresh without the proof or with another key', async () => {
    const key = newKey();
    const jkt = await calculateJwkThumbprint(await exportJWK(key.publicKey), 'sha256');
    const login = await t.login(t.spa, { headers: { dpop: await proofFor(key) } });
    expect(login.status).toBe(200);
    expect(login.body.token_type).toBe('DPoP');
    expect(claimsOf(login.body.access_token!).cnf).toEqual({ jkt });
    const rt = login.body.refresh_token!;

    const noProof = await refreshWithProof(rt);
    expect(noProof.status).toBe(400);
    expect(noProof.body.error).toBe('invalid_dpop_proof');

    const otherKey = await refreshWithProof(rt, await proofFor(newKey()));
    expect(otherKey.status).toBe(400);
    expect(otherKey.body.error).toBe('invalid_grant');
    expect(otherKey.body.access_token).toBeUndefined();

    const rightKey = await refreshWithProof(rt, await proofFor(key));
    expect(rightKey.status).toBe(200);
    expect(rightKey.body.token_type).toBe('DPoP');
    expect(claimsOf(rightKey.body.access_token!).cnf).toEqual({ jkt });
    expect(rightKey.body.refresh_token).toMatch(refreshTokenFormat);
  });
});
