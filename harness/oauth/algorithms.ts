/**
 * The JWS algorithms tokenproof signs, verifies or forges (RFC 7518 §3, EdDSA from RFC 8037 §3.1)
 * and what each needs of a key: one table for the reference issuer and resource server, the test
 * issuer's forger and the harness client, so an algorithm is described once.
 */
import {
  constants,
  generateKeyPair,
  type KeyObject,
  type SignKeyObjectInput,
  sign,
  type VerifyKeyObjectInput,
  verify,
} from 'node:crypto';
import { promisify } from 'node:util';

export const asymmetricAlgorithms = [
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
export const hmacAlgorithms = ['HS256', 'HS384', 'HS512'] as const;

export type AsymmetricAlgorithm = (typeof asymmetricAlgorithms)[number];
export type HmacAlgorithm = (typeof hmacAlgorithms)[number];
export type JwsAlgorithm = AsymmetricAlgorithm | HmacAlgorithm;

/** What the reference issuer signs with (its `signing.alg`) and accepts in client assertions. */
export const signingAlgorithms = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const satisfies readonly AsymmetricAlgorithm[];
export type SigningAlg = (typeof signingAlgorithms)[number];

/** RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA, EdDSA, HMAC. */
export type AlgorithmFamily = 'RS' | 'PS' | 'ES' | 'EdDSA' | 'HS';

export interface JwsAlgorithmSpec {
  family: AlgorithmFamily;
  /** The JWK key type (RFC 7518 §6.1, RFC 8037 §2). */
  kty: 'RSA' | 'EC' | 'OKP' | 'oct';
  /** node's digest name; null for EdDSA, which hashes internally. */
  hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** ECDSA: the one curve the alg names, as JWK `crv` and as node's `namedCurve`. */
  crv?: 'P-256' | 'P-384' | 'P-521';
  namedCurve?: 'prime256v1' | 'secp384r1' | 'secp521r1';
  /** ECDSA: the exact length of R || S (RFC 7518 §3.4). */
  signatureLength?: number;
}

export const jwsAlgorithms: Readonly<Record<JwsAlgorithm, JwsAlgorithmSpec>> = {
  RS256: { family: 'RS', kty: 'RSA', hash: 'sha256' },
  RS384: { family: 'RS', kty: 'RSA', hash: 'sha384' },
  RS512: { family: 'RS', kty: 'RSA', hash: 'sha512' },
  PS256: { family: 'PS', kty: 'RSA', hash: 'sha256' },
  PS384: { family: 'PS', kty: 'RSA', hash: 'sha384' },
  PS512: { family: 'PS', kty: 'RSA', hash: 'sha512' },
  ES256: { family: 'ES', kty: 'EC', hash: 'sha256', crv: 'P-256', namedCurve: 'prime256v1', signatureLength: 64 },
  ES384: { family: 'ES', kty: 'EC', hash: 'sha384', crv: 'P-384', namedCurve: 'secp384r1', signatureLength: 96 },
  ES512: { family: 'ES', kty: 'EC', hash: 'sha512', crv: 'P-521', namedCurve: 'secp521r1', signatureLength: 132 },
  EdDSA: { family: 'EdDSA', kty: 'OKP', hash: null },
  HS256: { family: 'HS', kty: 'oct', hash: 'sha256' },
  HS384: { family: 'HS', kty: 'oct', hash: 'sha384' },
  HS512: { family: 'HS', kty: 'oct', hash: 'sha512' },
};

/** RSA keys below 2048 bits are refused for signing and verification alike (RFC 7518 §3.3, §3.5). */
export const minimumRsaModulusLength = 2048;

const digestLength = { sha256: 32, sha384: 48, sha512: 64 } as const;

export function isAsymmetricAlgorithm(value: unknown): value is AsymmetricAlgorithm {
  return typeof value === 'string' && (asymmetricAlgorithms as readonly string[]).includes(value);
}

export function isHmacAlgorithm(alg: JwsAlgorithm): alg is HmacAlgorithm {
  return jwsAlgorithms[alg].family === 'HS';
}

/**
 * The key argument of node's crypto.sign / crypto.verify for `alg`: ECDSA signatures are R || S
 * (RFC 7518 §3.4, not DER) and RSASSA-PSS uses MGF1 with a salt as long as the hash (§3.5).
 */
export function signatureKeyInput(
  alg: AsymmetricAlgorithm,
  key: KeyObject,
): KeyObject | (SignKeyObjectInput & VerifyKeyObjectInput) {
  const spec = jwsAlgorithms[alg];
  if (spec.family === 'ES') return { key, dsaEncoding: 'ieee-p1363' };
  if (spec.family === 'PS') return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digestLength[spec.hash!] };
  return key;
}

/*
 * The hot paths (the issuer's tokens, the RS's verification) sign and verify through jwsSign and
 * jwsVerify. node:crypto (24.x) spends ~25-30 µs per call unwrapping a `{ key, ... }` options
 * object around a KeyObject (`getKeyObjectSlots`), as much as a whole ECDSA P-256 signature and
 * more than an RSA verification (harness/bench/README.md). So a bare KeyObject goes in wherever
 * the defaults are right: RSASSA-PKCS1-v1_5 and EdDSA as they are, ECDSA in node's default DER,
 * converted to and from R || S here. Only RSASSA-PSS still needs the options (padding, salt).
 */

/** A DER ECDSA-Sig-Value (SEQUENCE { r INTEGER, s INTEGER }) as R || S, each `size` bytes. */
export function derToP1363(der: Buffer, size: number): Buffer {
  let offset = 2;
  if (der[0] !== 0x30) throw new Error('not a DER ECDSA signature');
  if (der[1]! & 0x80) offset += der[1]! & 0x7f;
  const out = Buffer.alloc(size * 2);
  for (const half of [0, 1]) {
    if (der[offset] !== 0x02) throw new Error('not a DER ECDSA signature');
    const length = der[offset + 1]!;
    let start = offset + 2;
    let bytes = length;
    while (bytes > size && der[start] === 0) {
      start += 1;
      bytes -= 1;
    }
    if (bytes > size) throw new Error('ECDSA integer longer than the curve');
    der.copy(out, half * size + size - bytes, start, start + bytes);
    offset += 2 + length;
  }
  return out;
}

function derInteger(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start += 1;
  const bytes = value.subarray(start);
  return bytes[0]! & 0x80
    ? Buffer.concat([Buffer.from([0x02, bytes.length + 1, 0]), bytes])
    : Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** R || S (RFC 7518 §3.4) as the minimal DER ECDSA-Sig-Value; undefined when its length is not 2 × size. */
export function p1363ToDer(signature: Buffer, size: number): Buffer | undefined {
  if (signature.length !== size * 2) return undefined;
  const body = Buffer.concat([derInteger(signature.subarray(0, size)), derInteger(signature.subarray(size))]);
  const header = body.length < 0x80 ? Buffer.from([0x30, body.length]) : Buffer.from([0x30, 0x81, body.length]);
  return Buffer.concat([header, body]);
}

/** The JWS signature of `data` under `alg` (R || S for ECDSA). */
export function jwsSign(alg: AsymmetricAlgorithm, data: Buffer, key: KeyObject): Buffer {
  const spec = jwsAlgorithms[alg];
  if (spec.family === 'PS') return sign(spec.hash, data, signatureKeyInput(alg, key));
  const signature = sign(spec.hash, data, key);
  return spec.family === 'ES' ? derToP1363(signature, spec.signatureLength! / 2) : signature;
}

/** Verifies a JWS signature (R || S for ECDSA, of exactly the curve's length); throws like crypto.verify on a key of the wrong type. */
export function jwsVerify(alg: AsymmetricAlgorithm, data: Buffer, key: KeyObject, signature: Buffer): boolean {
  const spec = jwsAlgorithms[alg];
  if (spec.family === 'PS') return verify(spec.hash, data, signatureKeyInput(alg, key), signature);
  if (spec.family !== 'ES') return verify(spec.hash, data, key, signature);
  const der = p1363ToDer(signature, spec.signatureLength! / 2);
  return der !== undefined && verify(spec.hash, data, key, der);
}

const generate = promisify(generateKeyPair);

/** A fresh key pair for `alg`: RSA 2048, the alg's ECDSA curve, or Ed25519. */
export function generateKeyPairFor(alg: AsymmetricAlgorithm): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  const spec = jwsAlgorithms[alg];
  if (spec.kty === 'RSA') return generate('rsa', { modulusLength: minimumRsaModulusLength });
  if (spec.kty === 'EC') return generate('ec', { namedCurve: spec.crv! });
  return generate('ed25519');
}

/** The asymmetric algorithms a public JWK can sign with: its kty decides, and for EC its curve. */
export function algorithmsForJwk(jwk: { kty?: unknown; crv?: unknown }): AsymmetricAlgorithm[] {
  return asymmetricAlgorithms.filter((alg) => {
    const spec = jwsAlgorithms[alg];
    return spec.kty === jwk.kty && (spec.crv === undefined || spec.crv === jwk.crv);
  });
}

/** The algorithm a client signs with by default for a private key: RS256, the curve's ES alg, or EdDSA. */
export function defaultAlgorithmForKey(key: KeyObject): AsymmetricAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519' || type === 'ed448') return 'EdDSA';
  if (type !== 'ec') return 'RS256';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return asymmetricAlgorithms.find((alg) => jwsAlgorithms[alg].namedCurve === curve) ?? 'ES256';
}
