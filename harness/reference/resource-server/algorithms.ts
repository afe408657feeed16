/**
 * The JWS algorithms this server verifies (RFC 7518 §3; the table is harness/oauth/algorithms.ts)
 * and which keys may verify them.
 *
 * Verification uses node's synchronous crypto.verify rather than jose: on a cache miss the
 * signature check is most of the work, and the synchronous call measured ~4x jose's WebCrypto
 * path per core (see README.md). Only asymmetric algorithms exist here: `none` and HS* can never
 * be configured, so they are refused before any key is looked up (RFC 8725 §2.1, §3.1).
 */
import type { KeyObject } from 'node:crypto';
import {
  type AsymmetricAlgorithm,
  asymmetricAlgorithms,
  isAsymmetricAlgorithm,
  jwsAlgorithms,
  jwsVerify,
  minimumRsaModulusLength,
} from '../../oauth/algorithms.ts';

export const supportedAlgorithms = asymmetricAlgorithms;
export type Algorithm = AsymmetricAlgorithm;

const keyTypeOf = { RSA: 'rsa', EC: 'ec', OKP: 'okp' } as const;

export function isSupportedAlgorithm(value: unknown): value is Algorithm {
  return isAsymmetricAlgorithm(value);
}

/** A public key from the JWKS with what is needed to decide which algorithms it may verify. */
export interface VerificationKey {
  key: KeyObject;
  keyType: 'rsa' | 'ec' | 'okp';
  curve?: string;
  modulusLength?: number;
  /** The JWK's `alg`, when it pins one. */
  alg?: string;
}

/** RFC 7517 §4.4 / RFC 8725 §3.1: the key's type, curve, size and pinned alg must all fit the token's alg. */
export function keyFitsAlgorithm(key: VerificationKey, alg: Algorithm): boolean {
  const spec = jwsAlgorithms[alg];
  if (key.alg !== undefined && key.alg !== alg) return false;
  if (key.keyType !== keyTypeOf[spec.kty as keyof typeof keyTypeOf]) return false;
  if (key.keyType === 'rsa') return (key.modulusLength ?? 0) >= minimumRsaModulusLength;
  if (key.keyType === 'ec') return key.curve === spec.namedCurve;
  return key.curve === 'ed25519' || key.curve === 'ed448';
}

/** Verifies a JWS signature; false for any malformed signature (never throws). */
export function verifySignature(alg: Algorithm, key: KeyObject, signingInput: Buffer, signature: Buffer): boolean {
  const spec = jwsAlgorithms[alg];
  // A DER-encoded or truncated ECDSA signature has the wrong length: refuse it before OpenSSL sees it.
  if (spec.signatureLength !== undefined && signature.length !== spec.signatureLength) return false;
  try {
    return jwsVerify(alg, signingInput, key, signature);
  } catch {
    return false;
  }
}
