/**
 * RFC 7009 revocation and RFC 7662 introspection at the reference issuer (CHECKS V01-V07, I01-I05),
 * over HTTP against a real issuer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientAuth, postForm, tokenRequest } from '../../../harness/oauth/client.ts';
import { claimsOf, startTestIssuer, type TestIssuer } from '../../support/issuer.ts';

let t: TestIssuer;
beforeAll(async () => {
  t = await startTestIssuer();
});
afterAll(() => t?.close());

/** `null` sends no client authentication at all. */
const introspect = (token: string, auth: ClientAuth | null = t.primary) =>
  postForm(t.endpoints.introspect, { token }, auth ?? undefined);
const revoke = (token: string, auth: ClientAuth | null = t.primary, hint?: string) =>
  postForm(t.endpoints.revoke, { token, token_type_hint: hint }, auth ?? undefined);

async function clientToken(auth: ClientAuth = t.primary, scope = 'read write'): Promise<string> {
  const answer = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials', scope }, auth);
  expect(answer.status).toBe(200);
  return answer.body.access_token!;
}

async function userTokens(auth: ClientAuth = t.primary): Promise<{ accessToken: string; refreshToken: string }> {
  const answer = await t.login(auth, { scope: 'openid read' });
  expect(answer.status).toBe(200);
  return { accessToken: answer.body.access_token!, refreshToken: answer.body.refresh_token! };
}

/** I03: an inactive answer is exactly {"active":false}: no member that would leak what the token was. */
function expectExactlyInactive(answer: { status: number; text: string }) {
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.text)).toStrictEqual({ active: false });
}

describe('introspection (RFC 7662)', () => {
  it('I01/I02: a valid access token is active with well-typed members', async () => {
    const token = await clientToken(t.primary, 'read write');
    const answer = await introspect(token);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const body = answer.body;
    expect(body.active).toBe(true);
    expect(body.scope).toBe('read write');
    expect(body.iss).toBe(t.url);
    expect(body.client_id).toBe('primary');
    expect(body.sub).toBe('primary');
    expect(body.token_type).toBe('Bearer');
    expect(Number.isInteger(body.exp)).toBe(true);
    expect(Number.isInteger(body.iat)).toBe(true);
    // seconds, not milliseconds, and the same instants the token itself carries
    const claims = claimsOf(token);
    expect(body.exp).toBe(claims.exp);
    expect(body.iat).toBe(claims.iat);
    expect(body.jti).toBe(claims.jti);
    expect(body.exp as number).toBeGreaterThan(body.iat as number);
  });

  it('I01: a user access token names the user as sub and the client as client_id', async () => {
    const { accessToken } = await userTokens(t.secondary);
    const answer = await introspect(accessToken, t.primary);
    expect(answer.body).toMatchObject({ active: true, sub: 'user-alice', client_id: 'secondary', scope: 'openid read' });
  });

  it('I01: callers may authenticate with client_secret_post and private_key_jwt as well', async () => {
    const token = await clientToken();
    expect((await introspect(token, t.post)).body.active).toBe(true);
    expect((await introspect(token, t.jwtClient)).body.active).toBe(true);
  });

  it('I04: an unauthenticated caller gets 401, not an answer', async () => {
    const token = await clientToken();
    const answer = await introspect(token, null);
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
    expect(answer.body).not.toHaveProperty('active');
  });

  it('I04: a wrong secret gets 401 invalid_client with a Basic challenge', async () => {
    const token = await clientToken();
    const answer = await introspect(token, { method: 'client_secret_basic', clientId: 'primary', secret: 'not-the-secret' });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
    expect(answer.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(answer.body).not.toHaveProperty('active');
  });

  it('I04: a public client may not introspect', async () => {
    const token = await clientToken();
    const answer = await introspect(token, t.spa);
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
  });

  it('I03: garbage, unknown and foreign-looking tokens are exactly {"active":false}', async () => {
    const token = await clientToken();
    const [header, payload] = token.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claimsOf(token), scope: 'admin' })).toString('base64url')}.${token.split('.')[2]}`;
    for (const candidate of ['garbage', 'a.b.c', `${header}.${payload}.`, tampered, 'x'.repeat(43)]) {
      expectExactlyInactive(await introspect(candidate));
    }
  });

  it('I03/I05: an expired token is exactly {"active":false}', async () => {
    const token = await clientToken();
    expect((await introspect(token)).body.active).toBe(true);
    await t.setClockOffset(3_600);
    try {
      expectExactlyInactive(await introspect(token));
    } finally {
      await t.setClockOffset(0);
    }
    // positive control: the same token was only inactive because of the clock
    expect((await introspect(token)).body.active).toBe(true);
  });

  it('a refresh token introspects active as token_type refresh_token, and inactive once revoked', async () => {
    const { refreshToken } = await userTokens();
    const active = await introspect(refreshToken);
    expect(active.body).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      client_id: 'primary',
      sub: 'user-alice',
      scope: 'openid read',
      iss: t.url,
    });
    expect(Number.isInteger(active.body.exp)).toBe(true);
    expect((await revoke(refreshToken)).status).toBe(200);
    expectExactlyInactive(await introspect(refreshToken));
  });
});

describe('revocation (RFC 7009)', () => {
  it('V01/V02/I05: revoking a refresh token kills it and the access tokens of its grant', async () => {
    const { accessToken, refreshToken } = await userTokens();
    // a second access token of the same grant, from a refresh
    const refreshed = await tokenRequest(
      t.endpoints.token,
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      t.primary,
    );
    expect(refreshed.status).toBe(200);
    const laterAccessToken = refreshed.body.access_token!;
    const currentRefreshToken = refreshed.body.refresh_token!;
    expect((await introspect(accessToken)).body.active).toBe(true);
    expect((await introspect(laterAccessToken)).body.active).toBe(true);

    const answer = await revoke(currentRefreshToken, t.primary, 'refresh_token');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');

    const again = await tokenRequest(
      t.endpoints.token,
      { grant_type: 'refresh_token', refresh_token: currentRefreshToken },
      t.primary,
    );
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
    expectExactlyInactive(await introspect(accessToken));
    expectExactlyInactive(await introspect(laterAccessToken));
    expectExactlyInactive(await introspect(currentRefreshToken));
  });

  it('V03/I05: revoking an access token makes it inactive, and leaves other tokens alone', async () => {
    const token = await clientToken();
    const other = await clientToken();
    expect((await introspect(token)).body.active).toBe(true);
    expect((await revoke(token, t.primary, 'access_token')).status).toBe(200);
    expectExactlyInactive(await introspect(token));
    expect((await introspect(other)).body.active).toBe(true);
  });

  it('V03: revoking a user access token does not revoke the refresh token of its grant', async () => {
    const { accessToken, refreshToken } = await userTokens();
    expect((await revoke(accessToken)).status).toBe(200);
    expectExactlyInactive(await introspect(accessToken));
    const refreshed = await tokenRequest(
      t.endpoints.token,
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      t.primary,
    );
    expect(refreshed.status).toBe(200);
  });

  it('V04: unknown and garbage tokens are answered 200, and revoking twice is 200 too', async () => {
    for (const token of ['garbage', 'x'.repeat(43), 'a.b.c']) {
      const answer = await revoke(token);
      expect(answer.status, token).toBe(200);
      expect(answer.text).toBe('');
    }
    const token = await clientToken();
    expect((await revoke(token)).status).toBe(200);
    expect((await revoke(token)).status).toBe(200);
  });

  it('V05: a wrong token_type_hint still revokes (either way round) and an unknown hint is ignored', async () => {
    const accessToken = await clientToken();
    expect((await revoke(accessToken, t.primary, 'refresh_token')).status).toBe(200);
    expectExactlyInactive(await introspect(accessToken));

    const { accessToken: userAccess, refreshToken } = await userTokens();
    expect((await revoke(refreshToken, t.primary, 'access_token')).status).toBe(200);
    expectExactlyInactive(await introspect(refreshToken));
    expectExactlyInactive(await introspect(userAccess));

    const third = await clientToken();
    expect((await revoke(third, t.primary, 'no_such_hint')).status).toBe(200);
    expectExactlyInactive(await introspect(third));
  });

  it('V06: no client authentication → 401 invalid_client, and the token stays active', async () => {
    const token = await clientToken();
    const answer = await revoke(token, null);
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
    expect((await introspect(token)).body.active).toBe(true);
  });

  it('V06: a wrong secret → 401 invalid_client, and the token stays active', async () => {
    const token = await clientToken();
    for (const auth of [
      { method: 'client_secret_basic', clientId: 'primary', secret: 'wrong' },
      { method: 'client_secret_post', clientId: 'primary', secret: t.secrets.primary },
      { method: 'client_secret_basic', clientId: 'nobody', secret: t.secrets.primary },
    ] as ClientAuth[]) {
      const answer = await revoke(token, auth);
      expect(answer.status, `${auth.method} ${auth.clientId}`).toBe(401);
      expect(answer.body.error).toBe('invalid_client');
    }
    expect((await introspect(token)).body.active).toBe(true);
  });

  it("V07: client B revoking client A's access token is refused and the token stays active", async () => {
    const token = await clientToken(t.primary);
    const answer = await revoke(token, t.secondary);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('unauthorized_client');
    expect((await introspect(token)).body.active).toBe(true);
  });

  it("V07: client B revoking client A's refresh token is refused; the grant keeps working", async () => {
    const { accessToken, refreshToken } = await userTokens(t.primary);
    const answer = await revoke(refreshToken, t.secondary, 'refresh_token');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('unauthorized_client');
    expect((await introspect(accessToken)).body.active).toBe(true);
    expect((await introspect(refreshToken)).body.active).toBe(true);
    const refreshed = await tokenRequest(
      t.endpoints.token,
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      t.primary,
    );
    expect(refreshed.status).toBe(200);
  });

  it('a public client may revoke its own refresh token with only its client_id (RFC 7009 §2.1)', async () => {
    const login = await t.login(t.spa, { scope: 'openid read' });
    expect(login.status).toBe(200);
    const refreshToken = login.body.refresh_token!;
    expect((await revoke(refreshToken, t.spa)).status).toBe(200);
    expectExactlyInactive(await introspect(refreshToken));
    const again = await tokenRequest(t.endpoints.token, { grant_type: 'refresh_token', refresh_token: refreshToken }, t.spa);
    expect(again.body.error).toBe('invalid_grant');
  });
});

describe('opaque access tokens', () => {
  let opaque: TestIssuer;
  beforeAll(async () => {
    opaque = await startTestIssuer({ tokens: { format: 'opaque' } });
  });
  afterAll(() => opaque?.close());

  it('introspect active while valid, exactly inactive after revocation', async () => {
    const issued = await tokenRequest(
      opaque.endpoints.token,
      { grant_type: 'client_credentials', scope: 'read' },
      opaque.primary,
    );
    expect(issued.status).toBe(200);
    const token = issued.body.access_token!;
    expect(token.split('.')).toHaveLength(1);
    const active = await postForm(opaque.endpoints.introspect, { token }, opaque.primary);
    expect(active.body).toMatchObject({ active: true, client_id: 'primary', scope: 'read', iss: opaque.url });
    expect((await postForm(opaque.endpoints.revoke, { token }, opaque.secondary)).body.error).toBe('unauthorized_client');
    expect((await postForm(opaque.endpoints.introspect, { token }, opaque.primary)).body.active).toBe(true);
    expect((await postForm(opaque.endpoints.revoke, { token }, opaque.primary)).status).toBe(200);
    expectExactlyInactive(await postForm(opaque.endpoints.introspect, { token }, opaque.primary));
  });

  it('revoking the refresh token kills the opaque access tokens of its grant', async () => {
    const login = await opaque.login(opaque.primary, { scope: 'openid read' });
    expect(login.status).toBe(200);
    const accessToken = login.body.access_token!;
    expect((await postForm(opaque.endpoints.introspect, { token: accessToken }, opaque.primary)).body.active).toBe(true);
    expect((await postForm(opaque.endpoints.revoke, { token: login.body.refresh_token! }, opaque.primary)).status).toBe(200);
    expectExactlyInactive(await postForm(opaque.endpoints.introspect, { token: accessToken }, opaque.primary));
  });
});
