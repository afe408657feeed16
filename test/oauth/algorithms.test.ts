import { generateKeyPairSync, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { compactVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  type AsymmetricAlgorithm,
  algorithmsForJwk,
  asymmetricAlgorithms,
  defaultAlgorithmForKey,
  derToP1363,
  generateKeyPairFor,
  jwsAlgorithms,
  jwsSign,
  jwsVerify,
  p1363ToDer,
  signatureKeyInput,
} from '../../harness/oauth/algorithms.ts';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('the JWS algorithm table', () => {
  it('names the hash the alg names (RFC 7518 §3.1), and none for EdDSA', () => {
    for (const [alg, spec] of Object.entries(jwsAlgorithms)) {
      const bits = /(\d{3})$/.exec(alg)?.[1];
      expect(spec.hash, alg).toBe(bits ? `sha${bits}` : null);
    }
  });

  // jose is an independent implementation: a signature it accepts proves the table's node options
  // (R||S for ECDSA, PSS salt length = hash length, the curve per alg) are the RFC's.
  it('signs with node options that jose verifies, for every asymmetric algorithm', async () => {
    const rsa = await generateKeyPairFor('RS256');
    for (const alg of asymmetricAlgorithms) {
      const spec = jwsAlgorithms[alg];
      const pair = spec.kty === 'RSA' ? rsa : await generateKeyPairFor(alg);
      const input = `${b64url({ alg })}.${b64url({ sub: alg })}`;
      const signature = sign(spec.hash, Buffer.from(input), signatureKeyInput(alg, pair.privateKey));
      if (spec.signatureLength !== undefined) expect(signature.length, alg).toBe(spec.signatureLength);
      const verified = await compactVerify(`${input}.${signature.toString('base64url')}`, pair.publicKey, {
        algorithms: [alg],
      });
      expect(verified.protectedHeader.alg).toBe(alg);
    }
  });

  it('gives each JWK the algorithms its kty and curve allow', () => {
    expect(algorithmsForJwk({ kty: 'RSA' })).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']);
    expect(algorithmsForJwk({ kty: 'EC', crv: 'P-256' })).toEqual(['ES256']);
    expect(algorithmsForJwk({ kty: 'EC', crv: 'P-521' })).toEqual(['ES512']);
    expect(algorithmsForJwk({ kty: 'EC', crv: 'secp256k1' })).toEqual([]);
    expect(algorithmsForJwk({ kty: 'OKP', crv: 'Ed25519' })).toEqual(['EdDSA']);
    expect(algorithmsForJwk({ kty: 'oct' })).toEqual([]);
  });

  it('picks the default client-assertion algorithm from the private key', () => {
    const cases: [KeyObject, AsymmetricAlgorithm][] = [
      [generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'RS256'],
      [generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256'],
      [generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, 'ES384'],
      [generateKeyPairSync('ed25519').privateKey, 'EdDSA'],
    ];
    for (const [key, alg] of cases) expect(defaultAlgorithmForKey(key)).toBe(alg);
  });
});

describe('jwsSign / jwsVerify (bare KeyObjects, ECDSA converted between DER and R || S)', () => {
  it('sign what jose verifies and verify what node signs with the RFC options, for every asymmetric algorithm', async () => {
    const rsa = await generateKeyPairFor('RS256');
    for (const alg of asymmetricAlgorithms) {
      const spec = jwsAlgorithms[alg];
      const pair = spec.kty === 'RSA' ? rsa : await generateKeyPairFor(alg);
      const input = Buffer.from(`${b64url({ alg })}.${b64url({ sub: alg })}`);
      const ours = jwsSign(alg, input, pair.privateKey);
      if (spec.signatureLength !== undefined) expect(ours.length, alg).toBe(spec.signatureLength);
      const verified = await compactVerify(`${input}.${ours.toString('base64url')}`, pair.publicKey, { algorithms: [alg] });
      expect(verified.protectedHeader.alg).toBe(alg);
      const theirs = sign(spec.hash, input, signatureKeyInput(alg, pair.privateKey));
      expect(jwsVerify(alg, input, pair.publicKey, theirs), alg).toBe(true);
      const tampered = Buffer.from(theirs);
      tampered[tampered.length - 1]! ^= 1;
      expect(jwsVerify(alg, input, pair.publicKey, tampered), `${alg} tampered`).toBe(false);
      expect(jwsVerify(alg, Buffer.from(`${input}x`), pair.publicKey, theirs), `${alg} other input`).toBe(false);
    }
  });

  it('refuse ECDSA signatures of the wrong length, DER ones included, and zero R or S', async () => {
    const pair = await generateKeyPairFor('ES256');
    const input = Buffer.from('a.b');
    const der = sign('sha256', input, pair.privateKey);
    expect(verify('sha256', input, pair.publicKey, der)).toBe(true);
    expect(jwsVerify('ES256', input, pair.publicKey, der)).toBe(false);
    const good = jwsSign('ES256', input, pair.privateKey);
    expect(jwsVerify('ES256', input, pair.publicKey, good.subarray(0, 63))).toBe(false);
    expect(jwsVerify('ES256', input, pair.publicKey, Buffer.concat([good, Buffer.from([0])]))).toBe(false);
    expect(jwsVerify('ES256', input, pair.publicKey, Buffer.concat([Buffer.alloc(32), good.subarray(32)]))).toBe(false);
    expect(jwsVerify('ES256', input, pair.publicKey, Buffer.alloc(64))).toBe(false);
  });

  it('convert R || S to minimal DER and back, for leading zeros and high bits at every curve size', () => {
    for (const size of [32, 48, 66]) {
      const samples = [
        Buffer.alloc(size * 2, 0xff),
        Buffer.concat([Buffer.alloc(size - 1), Buffer.from([1]), Buffer.alloc(size - 1), Buffer.from([0x80])]),
        ...Array.from({ length: 200 }, (_, i) => {
          const value = randomBytes(size * 2);
          if (i % 3 === 0) value[0] = 0;
          if (i % 5 === 0) value[size] = 0x80 | value[size]!;
          return value;
        }),
      ];
      for (const p1363 of samples) {
        const der = p1363ToDer(p1363, size)!;
        expect(der[0]).toBe(0x30);
        expect(derToP1363(der, size).equals(p1363), `${size}: ${p1363.toString('hex')}`).toBe(true);
      }
      expect(p1363ToDer(Buffer.alloc(size * 2 - 1), size)).toBeUndefined();
    }
    // Against node's own DER: R || S from OpenSSL converted by us equals node's ieee-p1363 for the same signature.
    const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
    for (let i = 0; i < 20; i++) {
      const der = sign('sha512', Buffer.from(`m${i}`), p521.privateKey);
      expect(
        verify('sha512', Buffer.from(`m${i}`), { key: p521.publicKey, dsaEncoding: 'ieee-p1363' }, derToP1363(der, 66)),
      ).toBe(true);
      expect(p1363ToDer(derToP1363(der, 66), 66)!.equals(der)).toBe(true);
    }
  });
});
