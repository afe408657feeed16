/** DPoP (RFC 9449) at the reference issuer: proofs at the token endpoint and DPoP-bound tokens at /userinfo. */
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization, dpopProof, formBody, postForm, tokenRequest } from '../../../harness/oauth/client.ts';
import { claimsOf, startTestIssuer, type TestIssuer } from '../../support/issuer.ts';

interface ProofKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  alg: string;
}

const ecKey = (): ProofKey => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }), alg: 'ES256' });
const thumbprint = async (key: ProofKey) => calculateJwkThumbprint(await exportJWK(key.publicKey), 'sha256');
const nowSeconds = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

let t: TestIssuer;
let key: ProofKey;
beforeAll(async () => {
  t = await startTestIssuer();
  key = ecKey();
});
afterAll(() => t?.close());

const proofFor = (overrides: Partial<Parameters<typeof dpopProof>[1]> = {}, proofKey: ProofKey = key) =>
  dpopProof(proofKey, { htm: 'POST', htu: t.endpoints.token, ...overrides });

const clientCredentials = (proof: string | undefined) =>
  tokenRequest(t.endpoints.token, { grant_type: 'client_credentials', scope: 'read' }, t.primary, proof ? { dpop: proof } : {});

function expectProofRejected(answer: { status: number; body: { error?: string; access_token?: string } }) {
  expect(answer.body.error).toBe('invalid_dpop_proof');
  expect(answer.status).toBe(400);
  expect(answer.body.access_token).toBeUndefined();
}

/** A proof with the given header and payload, signed by `key` with ES256 unless `signature` is given. */
async function craftedProof(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signature?: string,
): Promise<string> {
  const input = `${b64(header)}.${b64(payload)}`;
  if (signature !== undefined) return `${input}.${signature}`;
  const signed = await new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
  return signed;
}

const validPayload = () => ({
  jti: randomBytes(16).toString('base64url'),
  htm: 'POST',
  htu: t.endpoints.token,
  iat: nowSeconds(),
});

describe('DPoP at the token endpoint', () => {
  it('binds a client_credentials token to the proof key (cnf.jkt), visible at introspection (I06)', async () => {
    const answer = await clientCredentials(await proofFor());
    expect(answer.status).toBe(200);
    expect(answer.body.token_type).toBe('DPoP');
    const jkt = await thumbprint(key);
    const token = answer.body.access_token!;
    expect(claimsOf(token).cnf).toStrictEqual({ jkt });
    const introspection = await postForm(t.endpoints.introspect, { token }, t.primary);
    expect(introspection.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });
  });

  it('without a proof the token is a plain Bearer token with no cnf', async () => {
    const answer = await clientCredentials(undefined);
    expect(answer.status).toBe(200);
    expect(answer.body.token_type).toBe('Bearer');
    expect(claimsOf(answer.body.access_token!)).not.toHaveProperty('cnf');
  });

  it('a replayed proof (same jti) is refused', async () => {
    const proof = await proofFor();
    expect((await clientCredentials(proof)).status).toBe(200);
    expectProofRejected(await clientCredentials(proof));
    // the same jti in a freshly signed proof is a replay as well
    const jti = randomBytes(16).toString('base64url');
    expect((await clientCredentials(await proofFor({ jti }))).status).toBe(200);
    expectProofRejected(await clientCredentials(await proofFor({ jti })));
  });

  it('wrong htm or htu is refused', async () => {
    expectProofRejected(await clientCredentials(await proofFor({ htm: 'GET' })));
    expectProofRejected(await clientCredentials(await proofFor({ htm: 'post' })));
    expectProofRejected(await clientCredentials(await proofFor({ htu: t.endpoints.userinfo })));
    expectProofRejected(await clientCredentials(await proofFor({ htu: t.endpoints.token.replace('127.0.0.1', '127.0.0.2') })));
    expectProofRejected(await clientCredentials(await proofFor({ htu: 'not a url' })));
  });

  it('iat 5 minutes off either way is refused; 10 s off is accepted', async () => {
    expectProofRejected(await clientCredentials(await proofFor({ iat: nowSeconds() - 300 })));
    expectProofRejected(await clientCredentials(await proofFor({ iat: nowSeconds() + 300 })));
    expect((await clientCredentials(await proofFor({ iat: nowSeconds() - 10 }))).status).toBe(200);
    expect((await clientCredentials(await proofFor({ iat: nowSeconds() + 10 }))).status).toBe(200);
  });

  it('a proof typed JWT, or without typ, is refused', async () => {
    const jwk = await exportJWK(key.publicKey);
    expectProofRejected(await clientCredentials(await craftedProof({ alg: 'ES256', typ: 'JWT', jwk }, validPayload())));
    expectProofRejected(await clientCredentials(await craftedProof({ alg: 'ES256', jwk }, validPayload())));
    // positive control: the same construction with typ dpop+jwt passes
    expect((await clientCredentials(await craftedProof({ alg: 'ES256', typ: 'dpop+jwt', jwk }, validPayload()))).status).toBe(
      200,
    );
  });

  it('alg none and symmetric algorithms are refused', async () => {
    const jwk = await exportJWK(key.publicKey);
    expectProofRejected(await clientCredentials(await craftedProof({ alg: 'none', typ: 'dpop+jwt', jwk }, validPayload(), '')));
    const secret = randomBytes(32);
    const hmacJwk = { kty: 'oct', k: secret.toString('base64url') };
    const hs256 = await new SignJWT(validPayload())
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: hmacJwk })
      .sign(secret);
    expectProofRejected(await clientCredentials(hs256));
    // HS256 claiming the EC public key as its jwk, keyed with that key's bytes
    const keyBytes = Buffer.from(JSON.stringify(jwk));
    const confused = await new SignJWT(validPayload()).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk }).sign(keyBytes);
    expectProofRejected(await clientCredentials(confused));
  });

  it('a jwk with private key members is refused', async () => {
    const privateJwk = await exportJWK(key.privateKey);
    expect(privateJwk.d).toBeTypeOf('string');
    expectProofRejected(
      await clientCredentials(await craftedProof({ alg: 'ES256', typ: 'dpop+jwt', jwk: privateJwk }, validPayload())),
    );
  });

  it('a bad signature, or a jwk that did not sign the proof, is refused', async () => {
    const proof = await proofFor();
    const [header, payload, signature] = proof.split('.') as [string, string, string];
    const flipped = Buffer.from(signature, 'base64url');
    flipped[10] = (flipped[10] ?? 0) ^ 0x01;
    expectProofRejected(await clientCredentials(`${header}.${payload}.${flipped.toString('base64url')}`));
    // payload edited under the original signature
    const edited = b64({ ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), jti: 'edited-jti-value' });
    expectProofRejected(await clientCredentials(`${header}.${edited}.${signature}`));
    // signed by one key, naming another in jwk
    const other = ecKey();
    expectProofRejected(
      await clientCredentials(
        await craftedProof({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(other.publicKey) }, validPayload()),
      ),
    );
  });

  it('missing jti, htm, htu or iat, a missing jwk, or a non-JWS value is refused', async () => {
    const jwk = await exportJWK(key.publicKey);
    for (const member of ['jti', 'htm', 'htu', 'iat'] as const) {
      const payload: Record<string, unknown> = validPayload();
      delete payload[member];
      expectProofRejected(await clientCredentials(await craftedProof({ alg: 'ES256', typ: 'dpop+jwt', jwk }, payload)));
    }
    expectProofRejected(await clientCredentials(await craftedProof({ alg: 'ES256', typ: 'dpop+jwt' }, validPayload())));
    expectProofRejected(await clientCredentials('not-a-proof'));
  });

  it('two DPoP headers are refused', async () => {
    const proofs = [await proofFor(), await proofFor()];
    const answer = await postWithRawHeaders(t.endpoints.token, formBody({ grant_type: 'client_credentials' }).toString(), [
      'content-type',
      'application/x-www-form-urlencoded',
      'authorization',
      basicAuthorization('primary', t.secrets.primary),
      'dpop',
      proofs[0]!,
      'dpop',
      proofs[1]!,
    ]);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_dpop_proof');
    expect(answer.body.error_description).toMatch(/more than once/);
    // the same proof sent twice in one request is refused the same way
    const single = await proofFor();
    const twice = await postWithRawHeaders(t.endpoints.token, formBody({ grant_type: 'client_credentials' }).toString(), [
      'content-type',
      'application/x-www-form-urlencoded',
      'authorization',
      basicAuthorization('primary', t.secrets.primary),
      'dpop',
      single,
      'dpop',
      single,
    ]);
    expect(twice.body.error).toBe('invalid_dpop_proof');
    expect(twice.body.error_description).toMatch(/more than once/);
  });
});

describe('DPoP-bound tokens at /userinfo', () => {
  let accessToken: string;
  beforeAll(async () => {
    const login = await t.login(t.primary, { scope: 'openid read', headers: { dpop: await proofFor() } });
    expect(login.status).toBe(200);
    expect(login.body.token_type).toBe('DPoP');
    accessToken = login.body.access_token!;
  });

  const userinfo = (authorization: string, proof?: string) =>
    fetch(t.endpoints.userinfo, { headers: { authorization, ...(proof && { dpop: proof }) } });
  const userinfoProof = (overrides: Partial<Parameters<typeof dpopProof>[1]> = {}, proofKey: ProofKey = key) =>
    dpopProof(proofKey, { htm: 'GET', htu: t.endpoints.userinfo, accessToken, ...overrides });

  it('answers 200 with the DPoP scheme and a proof whose ath hashes the token', async () => {
    const response = await userinfo(`DPoP ${accessToken}`, await userinfoProof());
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ sub: 'user-alice', name: 'Alice' });
  });

  it('refuses the bound token sent as Bearer (downgrade), even with a proof', async () => {
    const bare = await userinfo(`Bearer ${accessToken}`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);
    const withProof = await userinfo(`Bearer ${accessToken}`, await userinfoProof());
    expect(withProof.status).toBe(401);
  });

  it('refuses the DPoP scheme without a proof, with a wrong ath, another key, or the token endpoint htu', async () => {
    const refusals = [
      await userinfo(`DPoP ${accessToken}`),
      await userinfo(`DPoP ${accessToken}`, await userinfoProof({ accessToken: 'another-token' })),
      await userinfo(`DPoP ${accessToken}`, await userinfoProof({}, ecKey())),
      await userinfo(`DPoP ${accessToken}`, await userinfoProof({ htu: t.endpoints.token })),
      await userinfo(`DPoP ${accessToken}`, await userinfoProof({ htm: 'POST' })),
    ];
    for (const response of refusals) {
      expect(response.status).toBe(401);
      // RFC 9449 §7.1: the challenge names the DPoP scheme and the error
      expect(response.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);
      expect(((await response.json()) as { error?: string }).error).toBe('invalid_token');
    }
  });

  it('refuses two DPoP headers even when one of them is valid', async () => {
    const proof = (await userinfoProof({ htm: 'POST' })) as string;
    const answer = await postWithRawHeaders(t.endpoints.userinfo, '', [
      'authorization',
      `DPoP ${accessToken}`,
      'dpop',
      proof,
      'dpop',
      await userinfoProof({ htm: 'POST' }),
    ]);
    expect(answer.status).toBe(401);
    expect(answer.body.error_description).toMatch(/more than once/);
    // positive control: that proof alone is accepted on POST
    const single = await postWithRawHeaders(t.endpoints.userinfo, '', ['authorization', `DPoP ${accessToken}`, 'dpop', proof]);
    expect(single.status).toBe(200);
  });

  it('refuses a replayed userinfo proof', async () => {
    const proof = await userinfoProof();
    expect((await userinfo(`DPoP ${accessToken}`, proof)).status).toBe(200);
    expect((await userinfo(`DPoP ${accessToken}`, proof)).status).toBe(401);
  });
});

describe('DPoP-bound refresh tokens of a public client (RFC 9449 §5)', () => {
  it('refresh needs a proof from the same key', async () => {
    const login = await t.login(t.spa, { scope: 'openid read', headers: { dpop: await proofFor() } });
    expect(login.status).toBe(200);
    const refresh = (refreshToken: string, proof?: string) =>
      tokenRequest(
        t.endpoints.token,
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        t.spa,
        proof ? { dpop: proof } : {},
      );
    const withoutProof = await refresh(login.body.refresh_token!);
    expect(withoutProof.status).toBe(400);
    expect(withoutProof.body.error).toBe('invalid_dpop_proof');
    const otherKey = await refresh(login.body.refresh_token!, await proofFor({}, ecKey()));
    expect(otherKey.status).toBe(400);
    expect(otherKey.body.error).toBe('invalid_grant');
    const sameKey = await refresh(login.body.refresh_token!, await proofFor());
    expect(sameKey.status).toBe(200);
    expect(sameKey.body.token_type).toBe('DPoP');
    expect(claimsOf(sameKey.body.access_token!).cnf).toStrictEqual({ jkt: await thumbprint(key) });
  });
});

describe('an issuer with DPoP disabled', () => {
  let plain: TestIssuer;
  beforeAll(async () => {
    plain = await startTestIssuer({ dpop: { enabled: false } });
  });
  afterAll(() => plain?.close());

  it('refuses a valid proof instead of issuing an unbound token, and does not advertise DPoP', async () => {
    const proof = await dpopProof(key, { htm: 'POST', htu: plain.endpoints.token });
    const answer = await tokenRequest(plain.endpoints.token, { grant_type: 'client_credentials' }, plain.primary, {
      dpop: proof,
    });
    expectProofRejected(answer);
    const withoutProof = await tokenRequest(plain.endpoints.token, { grant_type: 'client_credentials' }, plain.primary);
    expect(withoutProof.status).toBe(200);
    expect(withoutProof.body.token_type).toBe('Bearer');
    const metadata = (await (await fetch(`${plain.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata).not.toHaveProperty('dpop_signing_alg_values_supported');
  });
});

/** fetch merges repeated headers into one; node:http with a raw header array sends them as separate lines. */
function postWithRawHeaders(
  url: string,
  body: string,
  rawHeaders: string[],
): Promise<{ status: number; body: { error?: string; error_description?: string; sub?: string } }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        // with an array, node adds no Host header of its own, and HTTP/1.1 requires one
        headers: ['host', new URL(url).host, ...rawHeaders, 'content-length', String(Buffer.byteLength(body))],
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : {} });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
