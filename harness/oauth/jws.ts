/**
 * Compact JWS signing and verification with node:crypto.
 *
 * Written by hand rather than with jose's SignJWT because issuance is the issuer's hot path:
 * node's synchronous crypto.sign adds almost nothing to the RSA/ECDSA operation itself, while
 * the WebCrypto path costs a promise round-trip and key re-wrapping per token. Everything else
 * JOSE (key import, proof verification, thumbprints) goes through jose.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { jwsSign, jwsVerify, type SigningAlg } from './algorithms.ts';

export function b64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function signCompact(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  alg: SigningAlg,
  key: KeyObject,
): string {
  const input = `${b64urlJson({ ...header, alg })}.${b64urlJson(payload)}`;
  const signature = jwsSign(alg, Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

export interface DecodedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

/** Splits and parses a compact JWS; undefined for anything malformed. Does not verify. */
export function decodeCompact(jws: string): DecodedJws | undefined {
  const parts = jws.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  if (!/^[A-Za-z0-9_-]+$/.test(h) || !/^[A-Za-z0-9_-]+$/.test(p) || !/^[A-Za-z0-9_-]*$/.test(s)) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    const payload: unknown = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    if (!isPlainObject(header) || !isPlainObject(payload)) return undefined;
    return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
  } catch {
    return undefined;
  }
}

export function verifyCompact(decoded: DecodedJws, alg: SigningAlg, key: KeyObject): boolean {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  try {
    return jwsVerify(alg, Buffer.from(decoded.signingInput), publicKey, decoded.signature);
  } catch {
    return false;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
