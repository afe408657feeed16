/**
 * The JWS algorithms this server verifies (RFC 7518 §3) and which keys may verify them.
 *
 * Verification uses node's synchronous crypto.verify rather than jose: on a cache miss the
 * signature check is most of the work, and the synchronous call measured ~4x jose's WebCrypto
 * path per core (see README.md). Only asymmetric algorithms exist here: `none` and HS* can never
 * be configured, so they are refused before any key is looked up (RFC 8725 §2.1, §3.1).
 */
import { constants, type KeyObject, verify } from 'node:crypto';

export const supportedAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export type Algorithm = (typeof supportedAlgorithms)[number];

interface AlgorithmSpec {
  /** node digest name; null for EdDSA, which hashes internally. */
  digest: string | null;
  keyType: 'rsa' | 'ec' | 'okp';
  /** ECDSA: the curve (node's name) and the exact signature length (R || S, RFC 7518 §3.4). */
  curve?: string;
  signatureLength?: number;
  pss?: boolean;
}

const specs: Record<Algorithm, AlgorithmSpec> = {
  RS256: { digest: 'sha256', keyType: 'rsa' },
  RS384: { digest: 'sha384', keyType: 'rsa' },
  RS512: { digest: 'sha512', keyType: 'rsa' },
  PS256: { digest: 'sha256', keyType: 'rsa', pss: true },
  PS384: { digest: 'sha384', keyType: 'rsa', pss: true },
  PS512: { digest: 'sha512', keyType: 'rsa', pss: true },
  ES256: { digest: 'sha256', keyType: 'ec', curve: 'prime256v1', signatureLength: 64 },
  ES384: { digest: 'sha384', keyType: 'ec', curve: 'secp384r1', signatureLength: 96 },
  ES512: { digest: 'sha512', keyType: 'ec', curve: 'secp521r1', signatureLength: 132 },
  EdDSA: { digest: null, keyType: 'okp' },
};

const saltLength: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };

export function isSupportedAlgorithm(value: unknown): value is Algorithm {
  return typeof value === 'string' && Object.hasOwn(specs, value);
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
  const spec = specs[alg];
  if (key.alg !== undefined && key.alg !== alg) return false;
  if (key.keyType !== spec.keyType) return false;
  if (spec.keyType === 'rsa') return (key.modulusLength ?? 0) >= 2048;
  if (spec.keyType === 'ec') return key.curve === spec.curve;
  return key.curve === 'ed25519' || key.curve === 'ed448';
}

/** Verifies a JWS signature; false for any malformed signature (never throws). */
export function verifySignature(alg: Algorithm, key: KeyObject, signingInput: Buffer, signature: Buffer): boolean {
  const spec = specs[alg];
  // A DER-encoded or truncated ECDSA signature has the wrong length: refuse it before OpenSSL sees it.
  if (spec.signatureLength !== undefined && signature.length !== spec.signatureLength) return false;
  try {
    if (spec.keyType === 'ec') return verify(spec.digest, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (spec.pss) {
      const options = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: saltLength[spec.digest!]! };
      return verify(spec.digest, signingInput, options, signature);
    }
    return verify(spec.digest, signingInput, key, signature);
  } catch {
    return false;
  }
}
