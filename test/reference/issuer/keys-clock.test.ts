/**
 * Key rotation (CHECKS.md K05), the admin API that drives it, and the issuer clock offset (T12,
 * clock-skew game days), all over HTTP against real issuers.
 */
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, tokenRequest } from '../../../harness/oauth/client.ts';
import { startIssuer } from '../../../harness/reference/issuer/server.ts';
import { claimsOf, headerOf, startTestIssuer, type TestIssuer } from '../../support/issuer.ts';

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function admin(issuer: TestIssuer, path: string, body: unknown, token = issuer.secrets.admin) {
  const response = await fetch(`${issuer.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

async function rotate(issuer: TestIssuer, activateAfterSeconds: number): Promise<string> {
  const answer = await admin(issuer, '/admin/keys/rotate', { activateAfterSeconds });
  expect(answer.status).toBe(200);
  expect(answer.body.kid).toBeTypeOf('string');
  return String(answer.body.kid);
}

async function jwks(issuer: TestIssuer): Promise<JSONWebKeySet> {
  const response = await fetch(issuer.endpoints.jwks);
  expect(response.status).toBe(200);
  return (await response.json()) as JSONWebKeySet;
}

const kidsOf = (set: JSONWebKeySet) => set.keys.map((key) => key.kid);

async function accessToken(issuer: TestIssuer): Promise<string> {
  const answer = await tokenRequest(issuer.endpoints.token, { grant_type: 'client_credentials' }, issuer.primary);
  expect(answer.status).toBe(200);
  return answer.body.access_token!;
}

/** Verifies against the JWKS as published right now (a fresh fetch, no cache). */
async function verifiesNow(issuer: TestIssuer, token: string) {
  return jwtVerify(token, createLocalJWKSet(await jwks(issuer)), { typ: 'at+jwt', issuer: issuer.url });
}

async function introspect(issuer: TestIssuer, token: string) {
  const answer = await postForm(issuer.endpoints.introspect, { token }, issuer.secondary);
  expect(answer.status).toBe(200);
  return answer.body;
}

/** Polls until `condition` holds, failing with `what` at the deadline. */
async function eventually(what: string, condition: () => Promise<boolean>, deadlineMs = 15_000): Promise<void> {
  const end = performance.now() + deadlineMs;
  while (performance.now() < end) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${deadlineMs} ms waiting until ${what}`);
}

describe('key rotation through the admin API (K05)', () => {
  let t: TestIssuer;
  beforeAll(async () => {
    t = await startTestIssuer({ signing: { alg: 'ES256' } });
  });
  afterAll(() => t.close());

  it('signs new tokens with the new key at once and keeps the old key published for old tokens', async () => {
    const oldToken = await accessToken(t);
    const oldKid = headerOf(oldToken).kid;
    const newKid = await rotate(t, 0);
    expect(newKid).not.toBe(oldKid);

    const newToken = await accessToken(t);
    expect(headerOf(newToken).kid).toBe(newKid);
    expect(kidsOf(await jwks(t))).toEqual(expect.arrayContaining([oldKid, newKid]));
    expect((await verifiesNow(t, oldToken)).protectedHeader.kid).toBe(oldKid);
    expect((await verifiesNow(t, newToken)).protectedHeader.kid).toBe(newKid);
    expect(await introspect(t, oldToken)).toMatchObject({ active: true });
  });

  it('never reuses a kid', async () => {
    const seen = new Set(kidsOf(await jwks(t)));
    for (let i = 0; i < 4; i++) {
      const kid = await rotate(t, 0);
      expect(seen.has(kid), `kid ${kid} was used before`).toBe(false);
      seen.add(kid);
      expect(headerOf(await accessToken(t)).kid).toBe(kid);
    }
  });

  it('publishes a pre-announced key before it signs anything, and signs with it once active', async () => {
    const currentKid = headerOf(await accessToken(t)).kid;
    const pendingKid = await rotate(t, 30);
    expect(kidsOf(await jwks(t))).toContain(pendingKid);
    const stillOld = await accessToken(t);
    expect(headerOf(stillOld).kid).toBe(currentKid);
    expect((await verifiesNow(t, stillOld)).protectedHeader.kid).toBe(currentKid);

    // Move the issuer 31 s ahead instead of waiting: the pending key is active from then on.
    expect((await admin(t, '/admin/clock', { offsetSeconds: 31 })).status).toBe(200);
    try {
      const next = await accessToken(t);
      expect(headerOf(next).kid).toBe(pendingKid);
      expect(kidsOf(await jwks(t))).toEqual(expect.arrayContaining([currentKid, pendingKid]));
      expect(await introspect(t, stillOld)).toMatchObject({ active: true });
    } finally {
      await admin(t, '/admin/clock', { offsetSeconds: 0 });
    }
  });

  it('rejects bad rotate bodies with 400 invalid_request', async () => {
    for (const body of [{ activateAfterSeconds: -1 }, { activateAfterSeconds: 'soon' }, { unknown: 1 }]) {
      const answer = await admin(t, '/admin/keys/rotate', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error).toBe('invalid_request');
    }
  });
});

describe('retired keys leave the JWKS once their tokens have expired (K05)', () => {
  let t: TestIssuer;
  beforeAll(async () => {
    t = await startTestIssuer({ signing: { alg: 'ES256' }, tokens: { accessTokenTtl: '2s', idTokenTtl: '2s' } });
  });
  afterAll(() => t.close());

  it('drops the old key after the access token lifetime, not before', async () => {
    const oldToken = await accessToken(t);
    const oldKid = String(headerOf(oldToken).kid);
    const newKid = await rotate(t, 0);
    expect(kidsOf(await jwks(t))).toEqual([oldKid, newKid]);
    const state = await fetch(`${t.url}/admin/keys`, { headers: { authorization: `Bearer ${t.secrets.admin}` } });
    const keys = ((await state.json()) as { keys: Array<{ kid: string; activeFrom: number; removeAt?: number }> }).keys;
    const retired = keys.find((key) => key.kid === oldKid);
    const current = keys.find((key) => key.kid === newKid);
    // Retained exactly for the longest token lifetime after the new key took over.
    expect(retired?.removeAt).toBeDefined();
    expect(retired!.removeAt! - current!.activeFrom).toBe(2);
    expect(current!.removeAt).toBeUndefined();

    await eventually('the retired key leaves the JWKS', async () => !kidsOf(await jwks(t)).includes(oldKid));
    const published = kidsOf(await jwks(t));
    expect(published).toEqual([newKid]);
    await expect(verifiesNow(t, oldToken)).rejects.toThrow();
    expect(await introspect(t, oldToken)).toEqual({ active: false });
  });
});

describe('admin API access', () => {
  let t: TestIssuer;
  beforeAll(async () => {
    t = await startTestIssuer();
  });
  afterAll(() => t.close());

  it('refuses a request without the admin token, or with a wrong one, with 401', async () => {
    const before = kidsOf(await jwks(t));
    const missing = await fetch(`${t.url}/admin/keys/rotate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await missing.text();
    const wrong = await admin(t, '/admin/keys/rotate', {}, `${t.secrets.admin}x`);
    expect(wrong.status).toBe(401);
    const clock = await admin(t, '/admin/clock', { offsetSeconds: 3600 }, 'not-the-admin-token');
    expect(clock.status).toBe(401);
    // Nothing changed.
    expect(kidsOf(await jwks(t))).toEqual(before);
    const iat = Number(claimsOf(await accessToken(t)).iat);
    expect(Math.abs(iat - nowSeconds())).toBeLessThanOrEqual(5);
  });

  it('has no admin API at all when no admin token is configured', async () => {
    const issuer = await startIssuer({ clients: [{ id: 'only', secret: 'only-secret-value', scopes: ['read'] }] });
    try {
      for (const path of ['/admin/keys/rotate', '/admin/clock']) {
        const response = await fetch(`${issuer.url}${path}`, {
          method: 'POST',
          headers: { authorization: 'Bearer anything-at-all-here', 'content-type': 'application/json' },
          body: '{"offsetSeconds":1}',
        });
        expect(response.status, path).toBe(404);
        await response.text();
      }
    } finally {
      await issuer.close();
    }
  });
});

describe('issuer clock offset (T12, clock skew)', () => {
  it('issues iat on the shifted clock when configured with clockOffsetSeconds', async () => {
    const t = await startTestIssuer({ clockOffsetSeconds: 3600 });
    try {
      const claims = claimsOf(await accessToken(t));
      expect(Math.abs(Number(claims.iat) - (nowSeconds() + 3600))).toBeLessThanOrEqual(5);
      expect(Number(claims.exp) - Number(claims.iat)).toBe(300);
    } finally {
      await t.close();
    }
  });

  describe('shifted at run time', () => {
    let t: TestIssuer;
    beforeAll(async () => {
      t = await startTestIssuer();
    });
    afterAll(() => t.close());

    it('shifts iat by POST /admin/clock', async () => {
      const shifted = await admin(t, '/admin/clock', { offsetSeconds: -120 });
      expect(shifted.status).toBe(200);
      expect(shifted.body.offsetSeconds).toBe(-120);
      expect(Math.abs(Number(shifted.body.now) - (nowSeconds() - 120))).toBeLessThanOrEqual(5);
      const iat = Number(claimsOf(await accessToken(t)).iat);
      expect(Math.abs(iat - (nowSeconds() - 120))).toBeLessThanOrEqual(5);

      expect((await admin(t, '/admin/clock', { offsetSeconds: 0 })).status).toBe(200);
      const back = Number(claimsOf(await accessToken(t)).iat);
      expect(Math.abs(back - nowSeconds())).toBeLessThanOrEqual(5);
    });

    it('expires a token when the clock moves past its exp', async () => {
      const token = await accessToken(t);
      const exp = Number(claimsOf(token).exp);
      expect(await introspect(t, token)).toMatchObject({ active: true, exp });
      const offset = exp - nowSeconds() + 1;
      expect((await admin(t, '/admin/clock', { offsetSeconds: offset })).status).toBe(200);
      try {
        expect(await introspect(t, token)).toEqual({ active: false });
        const userinfo = await fetch(t.endpoints.userinfo, { headers: { authorization: `Bearer ${token}` } });
        expect(userinfo.status).toBe(401);
        await userinfo.text();
      } finally {
        await admin(t, '/admin/clock', { offsetSeconds: 0 });
      }
      expect(await introspect(t, token)).toMatchObject({ active: true });
    });
  });
});
