/** RFC 8693 token exchange at the reference issuer (CHECKS X01-X05). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientAuth, type FormParams, postForm, tokenRequest } from '../../../harness/oauth/client.ts';
import { startIssuer } from '../../../harness/reference/issuer/server.ts';
import { claimsOf, headerOf, startTestIssuer, type TestIssuer } from '../../support/issuer.ts';

const grantType = 'urn:ietf:params:oauth:grant-type:token-exchange';
const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token';
const jwtType = 'urn:ietf:params:oauth:token-type:jwt';

let t: TestIssuer;
beforeAll(async () => {
  t = await startTestIssuer();
});
afterAll(() => t?.close());

const exchange = (params: FormParams, auth: ClientAuth = t.secondary) =>
  tokenRequest(t.endpoints.token, { grant_type: grantType, ...params }, auth);

/** The subject: alice's access token from a login with client primary, scope openid read. */
async function userAccessToken(scope = 'openid read'): Promise<string> {
  const login = await t.login(t.primary, { scope });
  expect(login.status).toBe(200);
  return login.body.access_token!;
}

async function serviceToken(auth: ClientAuth = t.primary): Promise<string> {
  const answer = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials', scope: 'read' }, auth);
  expect(answer.status).toBe(200);
  return answer.body.access_token!;
}

function expectError(answer: { status: number; body: { error?: string } }, error: string) {
  expect(answer.body.error).toBe(error);
  expect(answer.status).toBe(400);
}

describe('token exchange (RFC 8693)', () => {
  it('X01: exchanges a user access token for one with another audience', async () => {
    const subjectToken = await userAccessToken();
    const subject = claimsOf(subjectToken);
    const answer = await exchange({ subject_token: subjectToken, subject_token_type: accessTokenType, audience: 'api://orders' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body.issued_token_type).toBe(accessTokenType);
    expect(answer.body.token_type).toBe('Bearer');
    expect(answer.body.access_token).toBeTypeOf('string');
    expect(answer.body.refresh_token).toBeUndefined();
    const issued = answer.body.access_token!;
    expect(issued).not.toBe(subjectToken);
    expect(headerOf(issued).typ).toBe('at+jwt');
    const claims = claimsOf(issued);
    expect(claims.sub).toBe('user-alice');
    expect(claims.aud).toBe('api://orders');
    expect(claims.client_id).toBe('secondary');
    expect(claims.iss).toBe(t.url);
    expect(claims.scope).toBe('openid read');
    expect(claims.exp as number).toBeLessThanOrEqual(subject.exp as number);
    expect(claims.jti).not.toBe(subject.jti);
    expect(claims).not.toHaveProperty('act');
    expect(answer.body.expires_in).toBe((claims.exp as number) - (claims.iat as number));

    const introspection = await postForm(t.endpoints.introspect, { token: issued }, t.primary);
    expect(introspection.body).toMatchObject({ active: true, sub: 'user-alice', aud: 'api://orders', client_id: 'secondary' });
  });

  it('X01: accepts the jwt token type for a JWT subject token and asks for an access token explicitly', async () => {
    const answer = await exchange({
      subject_token: await userAccessToken(),
      subject_token_type: jwtType,
      requested_token_type: accessTokenType,
      resource: 'api://billing',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.issued_token_type).toBe(accessTokenType);
    expect(claimsOf(answer.body.access_token!).aud).toBe('api://billing');
  });

  it('X01: the issued token never outlives the subject token', async () => {
    // a subject issued 100 s "ago": its exp is 100 s earlier than a fresh token's would be
    await t.setClockOffset(-100);
    let subjectToken: string;
    try {
      subjectToken = await serviceToken();
    } finally {
      await t.setClockOffset(0);
    }
    const answer = await exchange({ subject_token: subjectToken, subject_token_type: accessTokenType });
    expect(answer.status).toBe(200);
    const claims = claimsOf(answer.body.access_token!);
    expect(claims.exp).toBe(claimsOf(subjectToken).exp);
    expect(answer.body.expires_in as number).toBeLessThanOrEqual(200 + 1);
  });

  it('X02: missing subject_token_type → invalid_request', async () => {
    expectError(await exchange({ subject_token: await userAccessToken() }), 'invalid_request');
  });

  it('X02: missing subject_token → invalid_request', async () => {
    expectError(await exchange({ subject_token_type: accessTokenType }), 'invalid_request');
  });

  it('X02: actor_token without actor_token_type → invalid_request (and the reverse)', async () => {
    const subjectToken = await userAccessToken();
    const actorToken = await serviceToken(t.secondary);
    expectError(
      await exchange({ subject_token: subjectToken, subject_token_type: accessTokenType, actor_token: actorToken }),
      'invalid_request',
    );
    expectError(
      await exchange({ subject_token: subjectToken, subject_token_type: accessTokenType, actor_token_type: accessTokenType }),
      'invalid_request',
    );
  });

  it('X02: an unsupported subject_token_type or requested_token_type → invalid_request', async () => {
    const subjectToken = await userAccessToken();
    expectError(
      await exchange({ subject_token: subjectToken, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }),
      'invalid_request',
    );
    expectError(
      await exchange({
        subject_token: subjectToken,
        subject_token_type: accessTokenType,
        requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
      }),
      'invalid_request',
    );
  });

  it('X03: a garbage or foreign subject_token → invalid_request', async () => {
    const subjectToken = await userAccessToken();
    const [header, payload, signature] = subjectToken.split('.') as [string, string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ ...claimsOf(subjectToken), sub: 'user-mallory' })).toString('base64url');
    for (const candidate of ['garbage', 'a.b.c', `${header}.${payload}.`, `${header}.${forgedPayload}.${signature}`]) {
      expectError(await exchange({ subject_token: candidate, subject_token_type: accessTokenType }), 'invalid_request');
    }
  });

  it('X03: a revoked subject_token → invalid_request', async () => {
    const subjectToken = await userAccessToken();
    expect((await exchange({ subject_token: subjectToken, subject_token_type: accessTokenType })).status).toBe(200);
    expect((await postForm(t.endpoints.revoke, { token: subjectToken }, t.primary)).status).toBe(200);
    expectError(await exchange({ subject_token: subjectToken, subject_token_type: accessTokenType }), 'invalid_request');
  });

  it('X03: an expired subject_token → invalid_request', async () => {
    const subjectToken = await userAccessToken();
    await t.setClockOffset(3_600);
    try {
      expectError(await exchange({ subject_token: subjectToken, subject_token_type: accessTokenType }), 'invalid_request');
    } finally {
      await t.setClockOffset(0);
    }
    // positive control: the same subject token exchanges fine once the clock is back
    expect((await exchange({ subject_token: subjectToken, subject_token_type: accessTokenType })).status).toBe(200);
  });

  it('X03: a revoked actor_token → invalid_request', async () => {
    const actorToken = await serviceToken(t.secondary);
    expect((await postForm(t.endpoints.revoke, { token: actorToken }, t.secondary)).status).toBe(200);
    expectError(
      await exchange({
        subject_token: await userAccessToken(),
        subject_token_type: accessTokenType,
        actor_token: actorToken,
        actor_token_type: accessTokenType,
      }),
      'invalid_request',
    );
  });

  it('X04: an audience the issuer does not serve → invalid_target', async () => {
    const subjectToken = await userAccessToken();
    expectError(
      await exchange({ subject_token: subjectToken, subject_token_type: accessTokenType, audience: 'api://nope' }),
      'invalid_target',
    );
    expectError(
      await exchange({ subject_token: subjectToken, subject_token_type: accessTokenType, resource: 'https://evil.example/' }),
      'invalid_target',
    );
    // one bad audience among good ones spoils the request
    expectError(
      await exchange({
        subject_token: subjectToken,
        subject_token_type: accessTokenType,
        audience: ['api://orders', 'api://nope'],
      }),
      'invalid_target',
    );
  });

  it('X05: asking for more scope than the subject token carries → invalid_scope; narrower is granted', async () => {
    const subjectToken = await userAccessToken('openid read');
    // write is a scope the requesting client itself may have, but the subject token lacks it
    expectError(
      await exchange({ subject_token: subjectToken, subject_token_type: accessTokenType, scope: 'read write' }),
      'invalid_scope',
    );
    const narrower = await exchange({ subject_token: subjectToken, subject_token_type: accessTokenType, scope: 'read' });
    expect(narrower.status).toBe(200);
    expect(narrower.body.scope).toBe('read');
    expect(claimsOf(narrower.body.access_token!).scope).toBe('read');
  });

  it('X05: a delegation carries act with the actor sub', async () => {
    const subjectToken = await userAccessToken();
    const actorToken = await serviceToken(t.secondary);
    const answer = await exchange({
      subject_token: subjectToken,
      subject_token_type: accessTokenType,
      actor_token: actorToken,
      actor_token_type: accessTokenType,
      audience: 'api://orders',
    });
    expect(answer.status).toBe(200);
    const claims = claimsOf(answer.body.access_token!);
    expect(claims.sub).toBe('user-alice');
    expect(claims.act).toStrictEqual({ sub: 'secondary' });
    const introspection = await postForm(t.endpoints.introspect, { token: answer.body.access_token! }, t.primary);
    expect(introspection.body.act).toStrictEqual({ sub: 'secondary' });
  });

  it('X05: exchanging a delegated token again nests the earlier actor (RFC 8693 §4.1)', async () => {
    const first = await exchange({
      subject_token: await userAccessToken(),
      subject_token_type: accessTokenType,
      actor_token: await serviceToken(t.secondary),
      actor_token_type: accessTokenType,
    });
    expect(first.status).toBe(200);
    const second = await exchange(
      {
        subject_token: first.body.access_token!,
        subject_token_type: accessTokenType,
        actor_token: await serviceToken(t.primary),
        actor_token_type: accessTokenType,
      },
      t.primary,
    );
    expect(second.status).toBe(200);
    expect(claimsOf(second.body.access_token!).act).toStrictEqual({ sub: 'primary', act: { sub: 'secondary' } });
  });

  it('a public client cannot exchange tokens', async () => {
    const answer = await exchange({ subject_token: await userAccessToken(), subject_token_type: accessTokenType }, t.spa);
    expectError(answer, 'unauthorized_client');
    expect(answer.body.access_token).toBeUndefined();
  });

  it('the wrong client secret → 401 invalid_client before the subject token is looked at', async () => {
    const answer = await exchange(
      { subject_token: await userAccessToken(), subject_token_type: accessTokenType },
      { method: 'client_secret_basic', clientId: 'secondary', secret: 'wrong' },
    );
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
  });
});

describe('token exchange by a public client that lists the grant', () => {
  it('is refused by the grant itself, not only by the client configuration', async () => {
    const issuer = await startIssuer({
      clients: [
        { id: 'svc', secret: 'svc-secret-for-tests', scopes: ['read'], grantTypes: ['client_credentials'] },
        { id: 'public-exchanger', auth: 'none', scopes: ['read'], grantTypes: [grantType] },
      ],
    });
    try {
      const subject = await tokenRequest(
        `${issuer.url}/token`,
        { grant_type: 'client_credentials' },
        { method: 'client_secret_basic', clientId: 'svc', secret: 'svc-secret-for-tests' },
      );
      expect(subject.status).toBe(200);
      const answer = await tokenRequest(
        `${issuer.url}/token`,
        { grant_type: grantType, subject_token: subject.body.access_token!, subject_token_type: accessTokenType },
        { method: 'none', clientId: 'public-exchanger' },
      );
      expectError(answer, 'unauthorized_client');
      expect(answer.body.error_description).toMatch(/public client/);
    } finally {
      await issuer.close();
    }
  });
});
