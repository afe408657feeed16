/**
 * DPoP at the reference RS (RFC 9449 §7, CHECKS.md replay P01-P08): a DPoP-bound token from the
 * real issuer, presented with proofs that are right, replayed, or wrong in one way each.
 */
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dpopProof } from '../../../harness/oauth/client.ts';
import { accessTokenHash } from '../../../harness/oauth/dpop.ts';
import { type RunningResourceServer, startResourceServer } from '../../../harness/reference/resource-server/server.ts';
import { claimsOf } from '../../support/issuer.ts';
import { callProtected, type RsAnswer, startTestStack, type TestStack, testRsConfig } from '../../support/resource-server.ts';

type DpopKey = { privateKey: KeyObject; publicKey: KeyObject; alg: string };
const newKey = (): DpopKey => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }), alg: 'ES256' });

let s: TestStack;
let key: DpopKey;
let bound: string;
beforeAll(async () => {
  s = await startTestStack();
  key = newKey();
  bound = await s.token({ headers: { dpop: await dpopProof(key, { htm: 'POST', htu: s.issuer.endpoints.token }) } });
});
afterAll(() => s?.close());

const now = () => Math.floor(Date.now() / 1000);

function proofFor(options: { htm?: string; htu?: string; token?: string; iat?: number; signer?: DpopKey; nonce?: string } = {}) {
  return dpopProof(options.signer ?? key, {
    htm: options.htm ?? 'GET',
    htu: options.htu ?? s.rs.protectedUrl,
    ...(options.token !== '' && { accessToken: options.token ?? bound }),
    ...(options.iat !== undefined && { iat: options.iat }),
    ...(options.nonce !== undefined && { nonce: options.nonce }),
  });
}

/** A proof with hand-picked header and payload, signed by `signer` (for the malformed-proof cases). */
async function customProof(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signer: KeyObject = key.privateKey,
) {
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', ...header } as { alg: string }).sign(signer);
}

async function validPayload() {
  return {
    jti: randomBytes(12).toString('base64url'),
    htm: 'GET',
    htu: s.rs.protectedUrl,
    iat: now(),
    ath: accessTokenHash(bound),
  };
}

function callWithProof(
  proof: string | undefined,
  options: { url?: string; scheme?: string; method?: string; path?: string } = {},
) {
  return callProtected(options.url ?? s.rs.url, bound, {
    scheme: options.scheme ?? 'DPoP',
    ...(options.method && { method: options.method }),
    ...(options.path && { path: options.path }),
    headers: proof === undefined ? {} : { dpop: proof },
  });
}

function expectDpopRefusal(answer: RsAnswer, why?: RegExp) {
  expect(answer.status, answer.text).toBe(401);
  expect(answer.wwwAuthenticate).toMatch(
    /^DPoP realm="tokenproof", error="invalid_token", error_description="[^"]+", algs="[A-Za-z0-9 ]+"$/,
  );
  if (why) expect(String(answer.body.error_description)).toMatch(why);
}

describe('P01-P02: a bound token with its proof', () => {
  it('the issuer bound the token to the key', async () => {
    const cnf = claimsOf(bound).cnf as { jkt: string };
    expect(cnf.jkt).toBe(await calculateJwkThumbprint(await exportJWK(key.publicKey), 'sha256'));
  });

  it('accepts the DPoP scheme with a valid proof, any spelling of the scheme', async () => {
    for (const scheme of ['DPoP', 'dpop', 'DPOP']) {
      const answer = await callWithProof(await proofFor(), { scheme });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.body.token_type).toBe('DPoP');
    }
  });

  it('refuses the same proof twice (P02)', async () => {
    const proof = await proofFor();
    expect((await callWithProof(proof)).status).toBe(200);
    expectDpopRefusal(await callWithProof(proof), /already used/);
  });
});

describe('P03-P05: what the proof covers', () => {
  it('refuses a proof for another method or URL, accepts host case, query and fragment differences (P03)', async () => {
    expectDpopRefusal(await callWithProof(await proofFor({ htm: 'POST' })), /htm/);
    expectDpopRefusal(await callWithProof(await proofFor({ htu: `${s.rs.url}/other` })), /htu/);
    expectDpopRefusal(await callWithProof(await proofFor({ htu: `${s.rs.url}/PROTECTED` })), /htu/);
    expectDpopRefusal(await callWithProof(await proofFor({ htu: s.rs.protectedUrl.replace('127.0.0.1', '127.0.0.2') })), /htu/);
    expect((await callWithProof(await proofFor({ htu: `${s.rs.protectedUrl}?page=2#top` }))).status).toBe(200);
    expect((await callWithProof(await proofFor({ htu: s.rs.protectedUrl.replace('http://', 'HTTP://') }))).status).toBe(200);
    const post = await callWithProof(await proofFor({ htm: 'POST', htu: `${s.rs.url}/protected/orders` }), {
      method: 'POST',
      path: '/protected/orders',
    });
    expect(post.status).toBe(200);
  });

  it('refuses iat 300 s off, accepts 10 s off (P04)', async () => {
    for (const iat of [now() - 300, now() + 300]) expectDpopRefusal(await callWithProof(await proofFor({ iat })), /iat/);
    for (const iat of [now() - 10, now() + 10]) expect((await callWithProof(await proofFor({ iat }))).status).toBe(200);
  });

  it('refuses a missing or wrong ath, and a proof by another key than the bound one (P05)', async () => {
    expectDpopRefusal(await callWithProof(await proofFor({ token: '' })), /ath/);
    expectDpopRefusal(await callWithProof(await proofFor({ token: await s.token() })), /ath/);
    expectDpopRefusal(await callWithProof(await proofFor({ signer: newKey() })), /cnf\.jkt/);
  });
});

describe('P06: malformed proofs', () => {
  it('refuses private jwk members, wrong typ, none or symmetric alg, a bad signature, missing claims', async () => {
    const jwk = await exportJWK(key.publicKey);
    const privateJwk = await exportJWK(key.privateKey);
    const payload = await validPayload();
    const fresh = async () => ({ ...payload, jti: randomBytes(12).toString('base64url') });
    expectDpopRefusal(await callWithProof(await customProof({ typ: 'dpop+jwt', jwk: privateJwk }, await fresh())), /public key/);
    expectDpopRefusal(await callWithProof(await customProof({ typ: 'JWT', jwk }, await fresh())), /typ/);
    expectDpopRefusal(await callWithProof(await customProof({ jwk }, await fresh())), /typ/);
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    expectDpopRefusal(await callWithProof(`${b64({ alg: 'none', typ: 'dpop+jwt', jwk })}.${b64(await fresh())}.`), /alg/);
    expectDpopRefusal(await callWithProof(`${b64({ alg: 'HS256', typ: 'dpop+jwt', jwk })}.${b64(await fresh())}.c2ln`), /alg/);
    const good = await customProof({ typ: 'dpop+jwt', jwk }, await fresh());
    const [h, p, sig] = good.split('.') as [string, string, string];
    expectDpopRefusal(await callWithProof(`${h}.${p}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`), /signature/);
    for (const missing of ['jti', 'htm', 'htu', 'iat']) {
      const partial: Record<string, unknown> = await fresh();
      delete partial[missing];
      expectDpopRefusal(await callWithProof(await customProof({ typ: 'dpop+jwt', jwk }, partial)));
    }
  });
});

describe('P07: the binding cannot be bypassed', () => {
  it('refuses a bound token sent as Bearer, with or without a proof', async () => {
    for (const proof of [undefined, await proofFor()]) {
      const answer = await callWithProof(proof, { scheme: 'Bearer' });
      expect(answer.status).toBe(401);
      expect(answer.wwwAuthenticate).toMatch(/^Bearer realm="tokenproof", error="invalid_token"/);
      expect(answer.body.error_description).toMatch(/DPoP-bound/);
    }
  });

  it('refuses the DPoP scheme without a proof, with two proofs, and with an unbound token', async () => {
    expectDpopRefusal(await callWithProof(undefined), /missing/);
    const host = new URL(s.rs.url).host;
    const headers = ['host', host, 'authorization', `DPoP ${bound}`, 'dpop', await proofFor(), 'dpop', await proofFor()];
    const twoProofs = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(s.rs.protectedUrl, { headers }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode!, body }));
      });
      request.on('error', reject);
      request.end();
    });
    expect(twoProofs.status).toBe(401);
    expect(twoProofs.body).toMatch(/more than once/);
    const unbound = await s.token();
    const answer = await callProtected(s.rs.url, unbound, {
      scheme: 'DPoP',
      headers: { dpop: await proofFor({ token: unbound }) },
    });
    expectDpopRefusal(answer, /not DPoP-bound/);
    expect((await s.call(unbound)).status).toBe(200);
  });
});

describe('dpop.required and nonces (P08)', () => {
  let strict: RunningResourceServer;
  beforeAll(async () => {
    strict = await startResourceServer(
      testRsConfig(s.issuer, { dpop: { required: true, nonce: true }, revocationEvents: { enabled: false } }),
    );
  });
  afterAll(() => strict?.close());

  const strictProof = (nonce?: string, iat?: number) =>
    proofFor({ htu: strict.protectedUrl, ...(nonce !== undefined && { nonce }), ...(iat !== undefined && { iat }) });

  it('refuses an unbound Bearer token when DPoP is required, with a DPoP challenge', async () => {
    const answer = await callProtected(strict.url, await s.token());
    expect(answer.status).toBe(401);
    expect((await callProtected(strict.url, undefined)).wwwAuthenticate).toMatch(/^DPoP realm="tokenproof", algs=/);
  });

  it('answers use_dpop_nonce with a DPoP-Nonce header, then accepts the proof with that nonce', async () => {
    const first = await callWithProof(await strictProof(), { url: strict.url });
    expect(first.status).toBe(401);
    expect(first.wwwAuthenticate).toMatch(/^DPoP realm="tokenproof", error="use_dpop_nonce"/);
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^\S+$/);
    const second = await callWithProof(await strictProof(nonce!), { url: strict.url });
    expect(second.status, second.text).toBe(200);
    expect(second.headers.get('dpop-nonce')).toBeTruthy();
    expect((await callWithProof(await strictProof('made-up-nonce'), { url: strict.url })).wwwAuthenticate).toMatch(
      /error="use_dpop_nonce"/,
    );
  });

  it('refuses a stale nonce', async () => {
    const nonce = (await callWithProof(await strictProof(), { url: strict.url })).headers.get('dpop-nonce')!;
    expect((await callWithProof(await strictProof(nonce), { url: strict.url })).status).toBe(200);
    strict.context.clock.setOffsetSeconds(150);
    try {
      const later = now() + 150;
      const stale = await callWithProof(await strictProof(nonce, later), { url: strict.url });
      expect(stale.status).toBe(401);
      expect(stale.wwwAuthenticate).toMatch(/error="use_dpop_nonce"/);
      const renewed = stale.headers.get('dpop-nonce')!;
      expect(renewed).not.toBe(nonce);
      expect((await callWithProof(await strictProof(renewed, later), { url: strict.url })).status).toBe(200);
    } finally {
      strict.context.clock.setOffsetSeconds(0);
    }
  });
});
