/**
 * The reference issuer's authorization_code + PKCE flow over HTTP (CHECKS T06-T09): the
 * authorization endpoint's refusals, the login form, code redemption and its one-time use.
 */
import { createHash } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthorizationRequest,
  authorizationUrl,
  type ClientAuth,
  formBody,
  loginWithForm,
  type Pkce,
  pkcePair,
  postForm,
  tokenRequest,
} from '../../../harness/oauth/client.ts';
import { claimsOf, headerOf, redirectUri, startTestIssuer, type TestIssuer } from '../../support/issuer.ts';

let t: TestIssuer;
beforeAll(async () => {
  t = await startTestIssuer();
});
afterAll(() => t?.close());

function request(client: ClientAuth, pkce: Pkce | undefined, extra: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  return {
    authorizationEndpoint: t.endpoints.authorize,
    clientId: client.clientId,
    redirectUri,
    scope: 'openid read',
    state: 'state-1',
    ...(pkce && { codeChallenge: pkce.challenge }),
    ...extra,
  };
}

/** Logs alice in for `client` and returns the code, with the PKCE pair it is bound to. */
async function authorize(
  issuer: TestIssuer,
  client: ClientAuth,
  extra: Partial<AuthorizationRequest> = {},
): Promise<{ code: string; pkce: Pkce; query: URLSearchParams }> {
  const pkce = pkcePair();
  const query = await loginWithForm(
    { ...request(client, pkce, extra), authorizationEndpoint: issuer.endpoints.authorize },
    issuer.user,
  );
  const code = query.get('code');
  if (!code) throw new Error(`no code: ${query.get('error')} ${query.get('error_description')}`);
  return { code, pkce, query };
}

function redeem(
  issuer: TestIssuer,
  client: ClientAuth,
  code: string,
  verifier: string | undefined,
  uri: string = redirectUri,
): ReturnType<typeof tokenRequest> {
  return tokenRequest(
    issuer.endpoints.token,
    { grant_type: 'authorization_code', code, redirect_uri: uri, code_verifier: verifier },
    client,
  );
}

const introspect = (token: string) => postForm(t.endpoints.introspect, { token }, t.primary);
const refresh = (client: ClientAuth, token: string) =>
  tokenRequest(t.endpoints.token, { grant_type: 'refresh_token', refresh_token: token }, client);

/** GET /authorize without following redirects. */
async function getAuthorize(url: string): Promise<{ status: number; location: URL | undefined; html: string }> {
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  return { status: response.status, location: location ? new URL(location) : undefined, html: await response.text() };
}

const atHash = (accessToken: string) => {
  const digest = createHash('sha256').update(accessToken).digest();
  return digest.subarray(0, 16).toString('base64url');
};

describe('authorization_code + PKCE: redemption (T06)', () => {
  it('redeems a code with its S256 verifier for an access token, a refresh token and a verifiable id_token', async () => {
    const { code, pkce, query } = await authorize(t, t.primary, { nonce: 'n-0S6_WzA2Mj' });
    // RFC 9207: the authorization response names the issuer; state comes back unchanged.
    expect(query.get('iss')).toBe(t.url);
    expect(query.get('state')).toBe('state-1');

    const answer = await redeem(t, t.primary, code, pkce.verifier);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toMatchObject({ token_type: 'Bearer', scope: 'openid read', expires_in: 300 });
    expect(answer.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(claimsOf(answer.body.access_token!)).toMatchObject({
      iss: t.url,
      sub: 'user-alice',
      client_id: 'primary',
      scope: 'openid read',
    });

    const idToken = answer.body.id_token!;
    const jwks = (await (await fetch(t.endpoints.jwks)).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(idToken, createLocalJWKSet(jwks), {
      issuer: t.url,
      audience: 'primary',
      typ: 'JWT',
    });
    expect(protectedHeader.typ).toBe('JWT');
    expect(payload).toMatchObject({ sub: 'user-alice', nonce: 'n-0S6_WzA2Mj', name: 'Alice' });
    expect(payload.at_hash).toBe(atHash(answer.body.access_token!));
    expect(payload.auth_time).toBeTypeOf('number');
    expect(Math.abs(Number(payload.auth_time) - Math.floor(Date.now() / 1000))).toBeLessThan(60);
  });

  it('issues no id_token without the openid scope', async () => {
    const { code, pkce } = await authorize(t, t.primary, { scope: 'read' });
    const answer = await redeem(t, t.primary, code, pkce.verifier);
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe('read');
    expect(answer.body.id_token).toBeUndefined();
  });

  it('refuses a wrong verifier and a missing verifier with invalid_grant (the code still redeems with the right one)', async () => {
    const { code, pkce } = await authorize(t, t.primary);
    const wrong = await redeem(t, t.primary, code, pkcePair().verifier);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    const missing = await redeem(t, t.primary, code, undefined);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_grant');
    expect(missing.body.access_token).toBeUndefined();
    // Positive control: the refusals were about the verifier, not the code.
    const right = await redeem(t, t.primary, code, pkce.verifier);
    expect(right.status).toBe(200);
  });

  it('lets a public client (no secret) complete the flow', async () => {
    const { code, pkce } = await authorize(t, t.spa);
    const answer = await redeem(t, t.spa, code, pkce.verifier);
    expect(answer.status).toBe(200);
    expect(claimsOf(answer.body.access_token!)).toMatchObject({ client_id: 'spa', sub: 'user-alice' });
    expect(claimsOf(answer.body.id_token!).aud).toBe('spa');
    expect(answer.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('authorization endpoint refusals (T07)', () => {
  it('redirects with invalid_request when code_challenge is missing, and shows no login form', async () => {
    const answer = await getAuthorize(authorizationUrl(request(t.primary, undefined)));
    expect(answer.status).toBe(302);
    expect(answer.location?.origin + answer.location!.pathname).toBe(redirectUri);
    expect(answer.location?.searchParams.get('error')).toBe('invalid_request');
    expect(answer.location?.searchParams.get('state')).toBe('state-1');
    expect(answer.location?.searchParams.get('iss')).toBe(t.url);
    expect(answer.location?.searchParams.get('code')).toBeNull();
    expect(answer.html).not.toContain('<form');

    // Naming the method without a challenge is no better.
    const methodOnly = await getAuthorize(
      authorizationUrl(request(t.primary, undefined, { extra: { code_challenge_method: 'S256' } })),
    );
    expect(methodOnly.status).toBe(302);
    expect(methodOnly.location?.searchParams.get('error')).toBe('invalid_request');
    expect(methodOnly.html).not.toContain('<form');
  });

  it('redirects with invalid_request for code_challenge_method=plain', async () => {
    const pkce = pkcePair();
    const url = authorizationUrl(request(t.primary, undefined, { extra: { code_challenge: pkce.verifier } }));
    const plainUrl = `${url}&code_challenge_method=plain`;
    const answer = await getAuthorize(plainUrl);
    expect(answer.status).toBe(302);
    expect(answer.location?.searchParams.get('error')).toBe('invalid_request');
    expect(answer.location?.searchParams.get('error_description')).toMatch(/S256/);
    expect(answer.html).not.toContain('<form');
  });

  it('shows a 400 error page, and never redirects, for an unknown client or an unregistered redirect_uri', async () => {
    const pkce = pkcePair();
    const unknownClient = await getAuthorize(authorizationUrl({ ...request(t.primary, pkce), clientId: 'no-such-client' }));
    expect(unknownClient.status).toBe(400);
    expect(unknownClient.location).toBeUndefined();
    expect(unknownClient.html).toContain('Unknown client');
    expect(unknownClient.html).not.toContain('<form');

    const foreignUri = 'http://127.0.0.1:9499/attacker';
    const unregistered = await getAuthorize(authorizationUrl({ ...request(t.primary, pkce), redirectUri: foreignUri }));
    expect(unregistered.status).toBe(400);
    expect(unregistered.location).toBeUndefined();
    expect(unregistered.html).toContain('Invalid redirect URI');

    // Even an otherwise-invalid request is not redirected to an unregistered URI (RFC 6749 §4.1.2.1).
    const both = await getAuthorize(
      authorizationUrl({ ...request(t.primary, undefined), redirectUri: foreignUri, extra: { response_type: 'token' } }),
    );
    expect(both.status).toBe(400);
    expect(both.location).toBeUndefined();
  });

  it('answers response_type=token with unsupported_response_type', async () => {
    const pkce = pkcePair();
    const answer = await getAuthorize(authorizationUrl(request(t.primary, pkce, { extra: { response_type: 'token' } })));
    expect(answer.status).toBe(302);
    expect(answer.location?.searchParams.get('error')).toBe('unsupported_response_type');
    expect(answer.location?.hash).toBe('');
    expect(answer.location?.searchParams.get('access_token')).toBeNull();
  });

  it('answers a scope beyond the client registration with invalid_scope', async () => {
    const pkce = pkcePair();
    // spa is registered for openid and read only.
    const answer = await getAuthorize(authorizationUrl(request(t.spa, pkce, { scope: 'openid write' })));
    expect(answer.status).toBe(302);
    expect(answer.location?.searchParams.get('error')).toBe('invalid_scope');
    expect(answer.location?.searchParams.get('state')).toBe('state-1');
    expect(answer.html).not.toContain('<form');
  });

  it("lets the login form post back only to the issuer and the client's own redirect origin", async () => {
    const page = await fetch(authorizationUrl(request(t.primary, pkcePair())), { redirect: 'manual' });
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/form-action 'self' http:\/\/127\.0\.0\.1:9499;/);
    expect(csp).toContain("frame-ancestors 'none'");
  });
});

describe('login form', () => {
  it('answers a wrong password with a 401 page showing the error, and issues no code', async () => {
    const page = await fetch(authorizationUrl(request(t.primary, pkcePair())), { redirect: 'manual' });
    const loginId = /name="login_id" value="([^"]+)"/.exec(await page.text())?.[1];
    expect(loginId).toBeTypeOf('string');
    const submit = (password: string) =>
      fetch(t.endpoints.authorize, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: formBody({ login_id: loginId!, username: t.user.username, password }),
        redirect: 'manual',
      });

    const refused = await submit(`${t.user.password}x`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('location')).toBeNull();
    const html = await refused.text();
    expect(html).toContain('<p class="error" role="alert">Wrong username or password.</p>');
    expect(html).toContain('<form method="post" action="/authorize">');
    expect(html).not.toContain(t.user.password);

    // Positive control: the same login with the right password redirects with a code.
    const accepted = await submit(t.user.password);
    expect(accepted.status).toBe(302);
    expect(new URL(accepted.headers.get('location')!).searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('one-time codes (T08, T09)', () => {
  it('refuses a second redemption and kills the tokens of the first one', async () => {
    const { code, pkce } = await authorize(t, t.primary);
    const first = await redeem(t, t.primary, code, pkce.verifier);
    expect(first.status).toBe(200);
    const accessToken = first.body.access_token!;
    expect((await introspect(accessToken)).body.active).toBe(true);

    const second = await redeem(t, t.primary, code, pkce.verifier);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    expect(second.body.access_token).toBeUndefined();

    expect((await introspect(accessToken)).body).toEqual({ active: false });
    const refreshed = await refresh(t.primary, first.body.refresh_token!);
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe('invalid_grant');
  });

  it('refuses a code redeemed by another client', async () => {
    const { code, pkce } = await authorize(t, t.primary);
    const stolen = await redeem(t, t.secondary, code, pkce.verifier);
    expect(stolen.status).toBe(400);
    expect(stolen.body.error).toBe('invalid_grant');
    const publicThief = await redeem(t, t.spa, code, pkce.verifier);
    expect(publicThief.status).toBe(400);
    expect(publicThief.body.error).toBe('invalid_grant');
    // Positive control: the code itself was good.
    expect((await redeem(t, t.primary, code, pkce.verifier)).status).toBe(200);
  });

  it('refuses a code redeemed with another redirect_uri', async () => {
    const { code, pkce } = await authorize(t, t.primary);
    const other = await redeem(t, t.primary, code, pkce.verifier, 'http://127.0.0.1:9499/other');
    expect(other.status).toBe(400);
    expect(other.body.error).toBe('invalid_grant');
    const missing = await tokenRequest(
      t.endpoints.token,
      { grant_type: 'authorization_code', code, code_verifier: pkce.verifier },
      t.primary,
    );
    expect(missing.status).toBe(400);
    expect(missing.body.access_token).toBeUndefined();
    expect((await redeem(t, t.primary, code, pkce.verifier)).status).toBe(200);
  });
});

describe('code expiry (T08)', () => {
  let short: TestIssuer;
  beforeAll(async () => {
    short = await startTestIssuer({ tokens: { authorizationCodeTtl: '1s' } });
  });
  afterAll(() => short?.close());

  it('refuses an expired code with invalid_grant', async () => {
    const { code, pkce } = await authorize(short, short.primary);
    // Jump the issuer's clock past the 1 s code lifetime instead of waiting for it.
    await short.setClockOffset(5);
    try {
      const late = await redeem(short, short.primary, code, pkce.verifier);
      expect(late.status).toBe(400);
      expect(late.body.error).toBe('invalid_grant');
      expect(late.body.error_description).toMatch(/expired/);
    } finally {
      await short.setClockOffset(0);
    }
  });
});

describe('id_token header', () => {
  it('names a key of the JWKS', async () => {
    const answer = await t.login(t.primary);
    const header = headerOf(answer.body.id_token!);
    const jwks = (await (await fetch(t.endpoints.jwks)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toContain(header.kid);
    expect(header.alg).toBe('RS256');
  });
});
