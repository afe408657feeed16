/**
 * Raw compact-JWS assembly for the forger. Written by hand rather than with jose on purpose:
 * the forger must produce what no JOSE library will sign (alg none, HMAC keyed with public-key
 * bytes or an empty key, DER-encoded ECDSA, hand-written JSON with duplicate members,
 * non-canonical base64url). jose still does everything a correct implementation would do.
 */
import { createHmac, KeyObject, sign } from 'node:crypto';
import { type HmacAlgorithm, isHmacAlgorithm, type JwsAlgorithm, jwsAlgorithms, signatureKeyInput } from '../oauth/algorithms.ts';

/** Every JWS algorithm of the table, HMAC included: the forger signs with algorithms a resource server must refuse. */
export type JwsAlg = JwsAlgorithm;

export function isHmac(alg: JwsAlg): alg is HmacAlgorithm {
  return isHmacAlgorithm(alg);
}

export function b64url(input: string | Uint8Array): string {
  return Buffer.from(input).toString('base64url');
}

/** A header or payload segment: an object is serialised with JSON.stringify, a string is taken as the JSON text itself. */
export function segment(value: Record<string, unknown> | string): string {
  return b64url(typeof value === 'string' ? value : JSON.stringify(value));
}

export interface SignOptions {
  /** ECDSA only: 'ieee-p1363' (R||S, what JWS requires) or 'der' (what JWS forbids). */
  dsaEncoding?: 'ieee-p1363' | 'der';
}

/** The signature of `signingInput` under `alg`; HMAC takes raw key bytes (possibly empty), the others a KeyObject. */
export function signRaw(
  alg: JwsAlg,
  key: KeyObject | Uint8Array | string,
  signingInput: string,
  options: SignOptions = {},
): Buffer {
  const hash = jwsAlgorithms[alg].hash;
  const data = Buffer.from(signingInput);
  if (isHmac(alg)) {
    if (key instanceof KeyObject) throw new TypeError(`${alg} takes raw key bytes, not a KeyObject`);
    return createHmac(hash!, Buffer.from(key)).update(data).digest();
  }
  if (!(key instanceof KeyObject)) throw new TypeError(`${alg} needs a private KeyObject`);
  if (options.dsaEncoding && jwsAlgorithms[alg].family === 'ES')
    return sign(hash, data, { key, dsaEncoding: options.dsaEncoding });
  return sign(hash, data, signatureKeyInput(alg, key));
}

/** header.payload.signature from already-encoded segments. */
export function assemble(headerSegment: string, payloadSegment: string, signature: Uint8Array | string): string {
  const signatureSegment = typeof signature === 'string' ? signature : b64url(signature);
  return `${headerSegment}.${payloadSegment}.${signatureSegment}`;
}

/** Signs header and payload (objects or raw JSON text) with `alg`; the header is used exactly as given. */
export function signCompact(
  header: Record<string, unknown> | string,
  payload: Record<string, unknown> | string,
  alg: JwsAlg,
  key: KeyObject | Uint8Array | string,
  options: SignOptions = {},
): string {
  const headerSegment = segment(header);
  const payloadSegment = segment(payload);
  return assemble(headerSegment, payloadSegment, signRaw(alg, key, `${headerSegment}.${payloadSegment}`, options));
}

export interface SplitToken {
  header: string;
  payload: string;
  signature: string;
}

export function split(token: string): SplitToken {
  const [header = '', payload = '', signature = ''] = token.split('.');
  return { header, payload, signature };
}

export function decodeSegment(encoded: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Record<string, unknown>;
}
