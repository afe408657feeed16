import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { compactVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  type AsymmetricAlgorithm,
  algorithmsForJwk,
  asymmetricAlgorithms,
  defaultAlgorithmForKey,
  generateKeyPairFor,
  jwsAlgorithms,
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
