/**
 * The reference issuer's metadata documents and JWKS over HTTP (CHECKS.md D01-D08, K01-K04).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../../../harness/oauth/client.ts';
import { startTestIssuer, type TestIssuer } from '../../support/issuer.ts';

type Metadata = Record<string, unknown>;
type Jwk = Record<string, unknown>;

let t: TestIssuer;
beforeAll(async () => {
  t = await startTestIssuer();
});
afterAll(() => t.close());

async function getJson<T>(url: string): Promise<{ status: number; type: string | null; body: T }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as T };
}

const wellKnown = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'];

describe('discovery documents (D01-D07)', () => {
  it.each(wellKnown)('%s answers 200 JSON naming this issuer exactly', async (path) => {
    const { status, type, body } = await getJson<Metadata>(`${t.url}${path}`);
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    expect(body.issuer).toBe(t.url);
    expect(t.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(body.token_endpoint).toBe(`${t.url}/token`);
    expect(body.jwks_uri).toBe(`${t.url}/jwks`);
  });

  it('serves the same document at both well-known paths', async () => {
    const [oidc, oauth] = await Promise.all(wellKnown.map((path) => getJson<Metadata>(`${t.url}${path}`)));
    expect(oauth!.body).toEqual(oidc!.body);
  });

  it('has every member OIDC Discovery §3 and RFC 8414 §2 require', async () => {
    const { body } = await getJson<Metadata>(`${t.url}${wellKnown[0]}`);
    for (const member of [
      'issuer',
      'authorization_endpoint',
      'token_endpoint',
      'jwks_uri',
      'response_types_supported',
      'subject_types_supported',
      'id_token_signing_alg_values_supported',
    ]) {
      expect(body, member).toHaveProperty(member);
    }
    expect(body.response_types_supported).toEqual(['code']);
    expect(body.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'private_key_jwt']),
    );
  });

  it('never advertises alg none, plain PKCE, password or implicit', async () => {
    const { body } = await getJson<Metadata>(`${t.url}${wellKnown[0]}`);
    const algLists = Object.entries(body).filter(([name]) => name.endsWith('_signing_alg_values_supported'));
    expect(algLists.map(([name]) => name)).toEqual(
      expect.arrayContaining(['id_token_signing_alg_values_supported', 'token_endpoint_auth_signing_alg_values_supported']),
    );
    for (const [name, algs] of algLists) {
      expect(Array.isArray(algs), name).toBe(true);
      expect(
        (algs as string[]).map((alg) => alg.toLowerCase()),
        name,
      ).not.toContain('none');
    }
    expect(body.code_challenge_methods_supported).toEqual(['S256']);
    expect(body.grant_types_supported).not.toContain('password');
    expect(body.grant_types_supported).not.toContain('implicit');
    for (const type of body.response_types_supported as string[]) expect(type.split(' ')).not.toContain('token');
  });
});

describe('advertised endpoints answer (D08)', () => {
  let metadata: Metadata;
  beforeAll(async () => {
    metadata = (await getJson<Metadata>(`${t.url}${wellKnown[0]}`)).body;
  });

  it.each(['token_endpoint', 'introspection_endpoint', 'revocation_endpoint'])(
    '%s refuses an unauthenticated client with 401 invalid_client (it exists)',
    async (member) => {
      const url = metadata[member];
      expect(url).toBeTypeOf('string');
      const answer = await postForm(String(url), { grant_type: 'client_credentials', token: 'x', client_id: 'primary' });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('invalid_client');
    },
  );

  it('introspection and revocation answer a client that authenticates', async () => {
    const introspection = await postForm(String(metadata.introspection_endpoint), { token: 'garbage' }, t.primary);
    expect(introspection.status).toBe(200);
    expect(introspection.body).toEqual({ active: false });
    const revocation = await postForm(String(metadata.revocation_endpoint), { token: 'garbage' }, t.primary);
    expect(revocation.status).toBe(200);
  });

  it('userinfo asks for a bearer token and the authorization endpoint answers (not 404)', async () => {
    const userinfo = await fetch(String(metadata.userinfo_endpoint));
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const authorize = await fetch(String(metadata.authorization_endpoint), { redirect: 'manual' });
    expect(authorize.status).toBe(400);
    await authorize.text();
    const jwks = await fetch(String(metadata.jwks_uri));
    expect(jwks.status).toBe(200);
  });
});

/** Members that must never appear in a published JWK (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const algsFor: Record<string, (jwk: Jwk) => boolean> = {
  RSA: (jwk) => ['RS256', 'PS256'].includes(String(jwk.alg)),
  EC: (jwk) => jwk.alg === 'ES256' && jwk.crv === 'P-256',
  OKP: (jwk) => jwk.alg === 'EdDSA' && jwk.crv === 'Ed25519',
};

async function publishedKeys(issuer: TestIssuer): Promise<Jwk[]> {
  const { status, type, body } = await getJson<{ keys: Jwk[] }>(issuer.endpoints.jwks);
  expect(status).toBe(200);
  expect(type).toMatch(/^application\/(jwk-set\+)?json/);
  expect(Array.isArray(body.keys)).toBe(true);
  return body.keys;
}

function expectPublicSigningKeys(keys: Jwk[]): void {
  expect(keys.length).toBeGreaterThan(0);
  for (const jwk of keys) {
    for (const member of privateMembers) expect(jwk, `${jwk.kid} ${member}`).not.toHaveProperty(member);
    expect(jwk.kty).not.toBe('oct');
    expect(jwk.use).toBe('sig');
    expect(jwk.kid).toBeTypeOf('string');
    expect(algsFor[String(jwk.kty)]?.(jwk), `kty ${jwk.kty} with alg ${jwk.alg}`).toBe(true);
    if (jwk.kty === 'RSA') expect(Buffer.from(String(jwk.n), 'base64url').length * 8).toBeGreaterThanOrEqual(2048);
  }
  const kids = keys.map((jwk) => jwk.kid);
  expect(new Set(kids).size).toBe(kids.length);
}

describe('JWKS (K01-K03)', () => {
  it('publishes only public RSA signing keys of at least 2048 bits with unique kids', async () => {
    const keys = await publishedKeys(t);
    expectPublicSigningKeys(keys);
    expect(keys[0]!.kty).toBe('RSA');
  });

  it('keeps kids unique and keys public across rotations', async () => {
    for (let i = 0; i < 2; i++) {
      const rotated = await fetch(`${t.url}/admin/keys/rotate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.secrets.admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ activateAfterSeconds: 0 }),
      });
      expect(rotated.status).toBe(200);
    }
    const keys = await publishedKeys(t);
    expect(keys.length).toBe(3);
    expectPublicSigningKeys(keys);
  });

  it.each(['ES256', 'EdDSA', 'PS256'] as const)('publishes a consistent public %s key', async (alg) => {
    const issuer = await startTestIssuer({ signing: { alg } });
    try {
      const keys = await publishedKeys(issuer);
      expectPublicSigningKeys(keys);
      expect(keys.map((jwk) => jwk.alg)).toEqual([alg]);
    } finally {
      await issuer.close();
    }
  });
});
