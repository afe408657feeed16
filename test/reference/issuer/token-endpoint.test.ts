/**
 * The reference issuer's token endpoint over HTTP (CHECKS.md T01-T05, T10-T13): client
 * authentication methods, error answers, scope and resource decisions, RFC 9068 access tokens
 * in every signing algorithm, opaque tokens, and bad input that must never become a 500.
 */
import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization, type ClientAuth, postForm, tokenRequest } from '../../../harness/oauth/client.ts';
import { claimsOf, headerOf, startTestIssuer, type TestIssuer } from '../../support/issuer.ts';

const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
type JwtClient = Extract<ClientAuth, { method: 'private_key_jwt' }>;

let t: TestIssuer;
beforeAll(async () => {
  t = await startTestIssuer();
});
afterAll(() => t.close());

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** POSTs raw bytes to the token endpoint, for bodies the form helpers would never produce. */
async function rawPost(url: string, body: string | Buffer, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Non-JSON bodies are judged by status alone.
  }
  return { status: response.status, headers: response.headers, body: json };
}

/** A client assertion signed with the jwt-client key, with any claim overridden. */
function assertion(client: JwtClient, claims: Record<string, unknown> = {}): Promise<string> {
  const now = nowSeconds();
  return new SignJWT({
    iss: client.clientId,
    sub: client.clientId,
    aud: client.audience,
    jti: randomBytes(16).toString('base64url'),
    iat: now,
    exp: now + 60,
    ...claims,
  })
    .setProtectedHeader({ alg: client.alg, kid: client.kid! })
    .sign(client.privateKey);
}

function assertionRequest(client: JwtClient, clientAssertion: string) {
  return postForm(t.endpoints.token, {
    grant_type: 'client_credentials',
    client_id: client.clientId,
    client_assertion_type: assertionType,
    client_assertion: clientAssertion,
  });
}

describe('client_credentials (T01, T02)', () => {
  it.each([
    ['client_secret_basic', () => t.primary, 'primary'],
    ['client_secret_post', () => t.post, 'poster'],
    ['private_key_jwt', () => t.jwtClient, 'jwt-client'],
  ])('issues a Bearer token to a %s client with no-store', async (_method, client, clientId) => {
    const answer = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials', scope: 'read' }, client());
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body.token_type).toBe('Bearer');
    expect(answer.body.expires_in).toBe(300);
    expect(answer.body.scope).toBe('read');
    expect(answer.body.refresh_token).toBeUndefined();
    expect(claimsOf(answer.body.access_token!)).toMatchObject({ client_id: clientId, sub: clientId });
  });

  it('answers errors with no-store too', async () => {
    const answer = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials', scope: 'admin' }, t.primary);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_scope');
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });
});

describe('client authentication failures (T03, T13)', () => {
  it('refuses a wrong secret sent with Basic: 401 invalid_client and a Basic challenge', async () => {
    const answer = await tokenRequest(
      t.endpoints.token,
      { grant_type: 'client_credentials' },
      { method: 'client_secret_basic', clientId: 'primary', secret: 'not-the-secret' },
    );
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
    expect(answer.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body.access_token).toBeUndefined();
  });

  it('refuses a wrong secret sent in the body: 401 invalid_client without a challenge', async () => {
    const answer = await tokenRequest(
      t.endpoints.token,
      { grant_type: 'client_credentials' },
      { method: 'client_secret_post', clientId: 'poster', secret: 'not-the-secret' },
    );
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
    expect(answer.headers.get('www-authenticate')).toBeNull();
  });

  it('refuses an unknown client and a client using a method it is not registered for', async () => {
    const unknown = await tokenRequest(
      t.endpoints.token,
      { grant_type: 'client_credentials' },
      { method: 'client_secret_basic', clientId: 'nobody', secret: t.secrets.primary },
    );
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe('invalid_client');
    // poster is registered for client_secret_post: its right secret over Basic is still refused.
    const wrongMethod = await tokenRequest(
      t.endpoints.token,
      { grant_type: 'client_credentials' },
      { method: 'client_secret_basic', clientId: 'poster', secret: t.secrets.post },
    );
    expect(wrongMethod.status).toBe(401);
    expect(wrongMethod.body.error).toBe('invalid_client');
  });

  it('refuses no authentication at all for a confidential client', async () => {
    const answer = await postForm(t.endpoints.token, { grant_type: 'client_credentials', client_id: 'primary' });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
  });

  it('accepts a well-formed assertion (positive control for the cases below)', async () => {
    const client = t.jwtClient as JwtClient;
    const answer = await assertionRequest(client, await assertion(client));
    expect(answer.status).toBe(200);
  });

  it.each([
    ['a wrong aud', { aud: 'https://elsewhere.example' }],
    ['an expired exp', { iat: nowSeconds() - 600, exp: nowSeconds() - 300 }],
    ['another iss/sub', { iss: 'primary', sub: 'primary' }],
  ])('refuses a private_key_jwt assertion with %s: 401 invalid_client', async (_case, claims) => {
    const client = t.jwtClient as JwtClient;
    const answer = await assertionRequest(client, await assertion(client, claims));
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
    expect(answer.body.access_token).toBeUndefined();
  });

  it('refuses an unsigned (alg none) assertion', async () => {
    const client = t.jwtClient as JwtClient;
    const now = nowSeconds();
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'none' })}.${encode({
      iss: client.clientId,
      sub: client.clientId,
      aud: client.audience,
      jti: randomBytes(16).toString('base64url'),
      iat: now,
      exp: now + 60,
    })}.`;
    const answer = await assertionRequest(client, unsigned);
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
  });

  it('refuses a replayed assertion jti', async () => {
    const client = t.jwtClient as JwtClient;
    const signed = await assertion(client, { jti: `replay-${randomBytes(8).toString('hex')}` });
    const first = await assertionRequest(client, signed);
    expect(first.status).toBe(200);
    const second = await assertionRequest(client, signed);
    expect(second.status).toBe(401);
    expect(second.body.error).toBe('invalid_client');
    expect(second.body.error_description).toMatch(/already used/);
  });

  it('refuses two authentication methods in one request with invalid_request', async () => {
    const answer = await postForm(
      t.endpoints.token,
      { grant_type: 'client_credentials', client_id: 'primary', client_secret: t.secrets.primary },
      undefined,
      { authorization: basicAuthorization('primary', t.secrets.primary) },
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
  });
});

describe('request errors (T04)', () => {
  it('answers an unknown grant_type with 400 unsupported_grant_type', async () => {
    const answer = await tokenRequest(t.endpoints.token, { grant_type: 'password', username: 'alice', password: 'x' }, t.primary);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('unsupported_grant_type');
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it('answers a grant the client is not registered for with unauthorized_client', async () => {
    const answer = await tokenRequest(t.endpoints.token, { grant_type: 'refresh_token', refresh_token: 'x' }, t.post);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('unauthorized_client');
  });

  it.each([
    ['a missing grant_type', { scope: 'read' }],
    ['an empty grant_type', { grant_type: '' }],
    ['a repeated grant_type', { grant_type: ['client_credentials', 'client_credentials'] }],
    ['a repeated scope', { grant_type: 'client_credentials', scope: ['read', 'write'] }],
    ['a missing refresh_token', { grant_type: 'refresh_token' }],
    ['a missing code', { grant_type: 'authorization_code', redirect_uri: 'http://127.0.0.1:9499/callback' }],
  ])('answers %s with 400 invalid_request', async (_case, params) => {
    const answer = await tokenRequest(t.endpoints.token, params, t.primary);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it.each([
    ['application/json', JSON.stringify({ grant_type: 'client_credentials' })],
    ['text/plain', 'grant_type=client_credentials'],
  ])('answers a %s body with 400 invalid_request', async (type, body) => {
    const answer = await rawPost(t.endpoints.token, body, {
      'content-type': type,
      authorization: basicAuthorization('primary', t.secrets.primary),
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
    expect(answer.body.access_token).toBeUndefined();
  });

  it('answers malformed bodies with a 4xx OAuth error, never a 500', async () => {
    const authorization = basicAuthorization('primary', t.secrets.primary);
    const form = 'application/x-www-form-urlencoded';
    const cases: Array<[type: string, body: string, status: number]> = [
      [form, 'grant_type=client_credentials&scope=%E0%A4%A', 400],
      [form, '%%%&&&====', 400],
      [form, 'grant_type[]=client_credentials', 400],
      [form, '', 400],
      ['application/json', '{"grant_type":', 400],
      ['application/json', '[]', 400],
      ['application/xml', '<grant_type>client_credentials</grant_type>', 415],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nx\r\n--x--', 415],
    ];
    for (const [type, body, status] of cases) {
      const answer = await rawPost(t.endpoints.token, body, { 'content-type': type, authorization });
      const label = `${type} ${JSON.stringify(body.slice(0, 40))}`;
      expect(answer.status, label).toBe(status);
      expect(answer.body.error, label).toBeTypeOf('string');
      expect(answer.headers.get('cache-control'), label).toBe('no-store');
    }
  });

  it('ignores unknown and prototype-polluting parameters (RFC 6749 §3.2) and still answers', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => `p${i}=1`).join('&');
    const body = `__proto__=x&constructor=y&hasOwnProperty=z&scope[toString]=1&grant_type=client_credentials&${many}&scope=read`;
    const answer = await rawPost(t.endpoints.token, body, {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuthorization('primary', t.secrets.primary),
    });
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe('read');
  });

  it('answers a body over 64 KiB with 413, and keeps serving', async () => {
    const body = `grant_type=client_credentials&scope=${'r'.repeat(70 * 1024)}`;
    const answer = await rawPost(t.endpoints.token, body, {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuthorization('primary', t.secrets.primary),
    });
    expect(answer.status).toBe(413);
    expect(answer.body.error).toBe('invalid_request');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const after = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.primary);
    expect(after.status).toBe(200);
  });
});

describe('the node:http token endpoint (routes/token.ts) answers like the fastify routes around it', () => {
  const form = 'application/x-www-form-urlencoded';
  const streamed = (parts: string[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
        controller.close();
      },
    });

  it('reads a chunked body (no content-length) arriving in pieces', async () => {
    const response = await fetch(t.endpoints.token, {
      method: 'POST',
      headers: { 'content-type': form, authorization: basicAuthorization('primary', t.secrets.primary) },
      body: streamed(['grant_type=client_', 'credentials&sco', 'pe=read']),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { scope?: string }).scope).toBe('read');
  });

  it('refuses a chunked body that grows past 64 KiB with 413, and keeps serving', async () => {
    const response = await fetch(t.endpoints.token, {
      method: 'POST',
      headers: { 'content-type': form, authorization: basicAuthorization('primary', t.secrets.primary) },
      body: streamed(['grant_type=client_credentials&scope=', ...Array.from({ length: 20 }, () => 'r'.repeat(4096))]),
      duplex: 'half',
    } as RequestInit).catch((error: Error) => error);
    // The server may close the connection before the client has sent everything: either the 413 or a reset.
    if (response instanceof Response) {
      expect(response.status).toBe(413);
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
    const after = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.primary);
    expect(after.status).toBe(200);
  });

  it('takes a query string on the path, and leaves other methods to fastify (404)', async () => {
    const withQuery = await rawPost(`${t.endpoints.token}?trace=1`, 'grant_type=client_credentials', {
      'content-type': form,
      authorization: basicAuthorization('primary', t.secrets.primary),
    });
    expect(withQuery.status).toBe(200);
    const get = await fetch(t.endpoints.token);
    expect(get.status).toBe(404);
    const longer = await rawPost(`${t.endpoints.token}x`, 'grant_type=client_credentials', { 'content-type': form });
    expect(longer.status).toBe(404);
  });

  it('answers a body without a content type with 415, an empty one with 400', async () => {
    const typeless = await fetch(t.endpoints.token, { method: 'POST', body: new Uint8Array([0x61]) });
    expect(typeless.status).toBe(415);
    const empty = await fetch(t.endpoints.token, { method: 'POST' });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: string }).error).toBe('invalid_request');
  });
});

describe('scope and resource (T05, T11 aud)', () => {
  it('refuses a scope the client is not registered for with invalid_scope', async () => {
    const answer = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials', scope: 'read write' }, t.post);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_scope');
    expect(answer.body.access_token).toBeUndefined();
  });

  it('echoes a narrower scope and puts exactly it in the token', async () => {
    const answer = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials', scope: 'write' }, t.primary);
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe('write');
    expect(claimsOf(answer.body.access_token!).scope).toBe('write');
  });

  it('grants every registered scope when none is asked for', async () => {
    const answer = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.primary);
    expect(answer.body.scope).toBe('openid read write');
  });

  it('refuses an unregistered resource with invalid_target', async () => {
    const answer = await tokenRequest(
      t.endpoints.token,
      { grant_type: 'client_credentials', resource: 'api://unknown' },
      t.primary,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_target');
  });

  it('puts a requested resource in aud, several as an array, and the default audience otherwise', async () => {
    const one = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials', resource: 'api://orders' }, t.primary);
    expect(one.status).toBe(200);
    expect(claimsOf(one.body.access_token!).aud).toBe('api://orders');
    const two = await tokenRequest(
      t.endpoints.token,
      { grant_type: 'client_credentials', resource: ['api://orders', 'api://billing'] },
      t.primary,
    );
    expect(claimsOf(two.body.access_token!).aud).toEqual(['api://orders', 'api://billing']);
    const none = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.primary);
    expect(claimsOf(none.body.access_token!).aud).toBe('api://default');
  });
});

describe('RFC 9068 JWT access tokens (T10-T12, K04)', () => {
  it('issues at+jwt tokens that verify against the published JWKS', async () => {
    const before = nowSeconds();
    const answer = await tokenRequest(
      t.endpoints.token,
      { grant_type: 'client_credentials', scope: 'read', resource: 'api://orders' },
      t.primary,
    );
    expect(answer.status).toBe(200);
    const token = answer.body.access_token!;
    const header = headerOf(token);
    expect(header.typ).toBe('at+jwt');
    expect(header.alg).toBe('RS256');
    expect(header.kid).toBeTypeOf('string');

    const jwks = createRemoteJWKSet(new URL(t.endpoints.jwks));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      typ: 'at+jwt',
      issuer: t.url,
      audience: 'api://orders',
      algorithms: ['RS256'],
    });
    expect(protectedHeader.kid).toBe(header.kid);
    for (const claim of ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']) expect(payload).toHaveProperty(claim);
    expect(payload.iss).toBe(t.url);
    expect(payload.sub).toBe('primary');
    expect(payload.client_id).toBe('primary');
    expect(payload.scope).toBe('read');
    // Seconds, not milliseconds, and on the issuer's (unshifted) clock.
    expect(Number.isInteger(payload.iat)).toBe(true);
    expect(payload.iat!).toBeGreaterThanOrEqual(before - 5);
    expect(payload.iat!).toBeLessThanOrEqual(nowSeconds() + 5);
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(answer.body.expires_in).toBe(payload.exp! - payload.iat!);
  });

  it('never signs with alg none and the kid resolves in the JWKS with a matching alg', async () => {
    const answer = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.primary);
    const header = headerOf(answer.body.access_token!);
    expect(String(header.alg).toLowerCase()).not.toBe('none');
    const jwks = (await (await fetch(t.endpoints.jwks)).json()) as { keys: Array<Record<string, unknown>> };
    const key = jwks.keys.find((candidate) => candidate.kid === header.kid);
    expect(key).toBeDefined();
    expect(key!.alg).toBe(header.alg);
  });

  it('gives 50 tokens 50 distinct jti values of at least 128 bits', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.primary)),
    );
    const jtis = answers.map((answer) => {
      expect(answer.status).toBe(200);
      return String(claimsOf(answer.body.access_token!).jti);
    });
    expect(new Set(jtis).size).toBe(50);
    for (const jti of jtis) expect(Buffer.from(jti, 'base64url').length).toBeGreaterThanOrEqual(16);
  });
});

describe('signing algorithms', () => {
  it.each(['ES256', 'EdDSA', 'PS256'] as const)('issues %s tokens that verify against the JWKS', async (alg) => {
    const issuer = await startTestIssuer({ signing: { alg } });
    try {
      const answer = await tokenRequest(issuer.endpoints.token, { grant_type: 'client_credentials' }, issuer.primary);
      expect(answer.status).toBe(200);
      const token = answer.body.access_token!;
      expect(headerOf(token).alg).toBe(alg);
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(issuer.endpoints.jwks)), {
        typ: 'at+jwt',
        issuer: issuer.url,
        algorithms: [alg],
      });
      expect(payload.client_id).toBe('primary');
      const discovery = (await (await fetch(`${issuer.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(discovery.id_token_signing_alg_values_supported).toEqual([alg]);
    } finally {
      await issuer.close();
    }
  });
});

describe('opaque access tokens (T10)', () => {
  let opaque: TestIssuer;
  beforeAll(async () => {
    opaque = await startTestIssuer({ tokens: { format: 'opaque' } });
  });
  afterAll(() => opaque.close());

  it('issues a non-JWT token of at least 32 random bytes that introspects active', async () => {
    const answer = await tokenRequest(
      opaque.endpoints.token,
      { grant_type: 'client_credentials', scope: 'read' },
      opaque.primary,
    );
    expect(answer.status).toBe(200);
    const token = answer.body.access_token!;
    expect(token.split('.')).toHaveLength(1);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(32);
    const introspection = await postForm(opaque.endpoints.introspect, { token }, opaque.secondary);
    expect(introspection.status).toBe(200);
    expect(introspection.body).toMatchObject({ active: true, client_id: 'primary', scope: 'read', iss: opaque.url });
    const altered = `${token[0] === 'A' ? 'B' : 'A'}${token.slice(1)}`;
    const forged = await postForm(opaque.endpoints.introspect, { token: altered }, opaque.secondary);
    expect(forged.body).toEqual({ active: false });
  });

  it('gives 50 tokens 50 distinct values', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        tokenRequest(opaque.endpoints.token, { grant_type: 'client_credentials' }, opaque.primary),
      ),
    );
    const tokens = answers.map((answer) => answer.body.access_token);
    expect(tokens.every((token) => typeof token === 'string')).toBe(true);
    expect(new Set(tokens).size).toBe(50);
  });
});
