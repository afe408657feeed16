/**
 * DPoP proof verification (RFC 9449 §4.3), shared by the reference issuer (token endpoint)
 * and the reference resource server.
 */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import type { AsymmetricAlgorithm } from './algorithms.ts';
import { hasPrivateMembers } from './jwk.ts';
import { OAuthError } from './oauth-error.ts';
import type { ReplayCache } from './replay-cache.ts';

/** The proof algorithms accepted and advertised (`dpop_signing_alg_values_supported`): asymmetric only (RFC 9449 §4.2). */
export const dpopAlgorithms = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'] as const satisfies readonly AsymmetricAlgorithm[];

export interface DpopCheck {
  proof: string | string[] | undefined;
  method: string;
  url: string;
  nowSeconds: number;
  /** How far iat may be from now, either way. */
  maxSkewSeconds: number;
  /** When the proof accompanies an access token (RS side), its `ath` must hash this token. */
  accessToken?: string;
  /** When the token is bound, the proof key must have this thumbprint. */
  expectedJkt?: string;
  replayCache: ReplayCache;
  /** error code to use: `invalid_dpop_proof` at the token endpoint, `invalid_token` at an RS. */
  errorCode: 'invalid_dpop_proof' | 'invalid_token';
}

export interface VerifiedProof {
  jkt: string;
  jti: string;
}

/** Normalises an htu for comparison: scheme and host lower-case, default port dropped, no query/fragment. */
export function normalizeHtu(value: string): string | undefined {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * The DPoP header as received. Node joins repeated unknown headers with ", " in `headers`, which
 * would hide a second proof; `headersDistinct` keeps them apart, so the verifier sees an array.
 */
export function dpopHeader(headersDistinct: NodeJS.Dict<string[]>): string | string[] | undefined {
  const values = headersDistinct.dpop;
  return values?.length === 1 ? values[0] : values;
}

/** The `ath` claim of a proof: base64url of the access token's SHA-256 (RFC 9449 §4.2). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export async function verifyDpopProof(check: DpopCheck): Promise<VerifiedProof> {
  const fail = (why: string) =>
    new OAuthError(check.errorCode, `DPoP proof ${why}`, check.errorCode === 'invalid_token' ? 401 : 400);
  if (Array.isArray(check.proof)) throw fail('header appears more than once');
  if (!check.proof) throw fail('is missing');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(check.proof);
  } catch {
    throw fail('is not a compact JWS');
  }
  if (header.typ !== 'dpop+jwt') throw fail('typ must be dpop+jwt');
  if (typeof header.alg !== 'string' || !(dpopAlgorithms as readonly string[]).includes(header.alg)) {
    throw fail('alg must be an asymmetric algorithm');
  }
  const jwk = header.jwk as JWK | undefined;
  if (!jwk || typeof jwk !== 'object') throw fail('has no jwk header');
  if (hasPrivateMembers(jwk)) throw fail('jwk must be a public key');
  let payload: Record<string, unknown>;
  try {
    const key = await importJWK(jwk, header.alg);
    const verified = await compactVerify(check.proof, key, { algorithms: [...dpopAlgorithms] });
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch {
    throw fail('signature does not verify with its jwk');
  }
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti.length < 8) throw fail('needs a jti');
  if (htm !== check.method) throw fail(`htm must be ${check.method}`);
  if (typeof htu !== 'string' || normalizeHtu(htu) !== normalizeHtu(check.url)) throw fail('htu does not match the request URL');
  if (typeof iat !== 'number' || Math.abs(iat - check.nowSeconds) > check.maxSkewSeconds)
    throw fail('iat is outside the acceptable window');
  if (check.accessToken !== undefined && ath !== accessTokenHash(check.accessToken))
    throw fail('ath does not match the access token');
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  if (check.expectedJkt !== undefined && jkt !== check.expectedJkt) throw fail('key does not match the token binding (cnf.jkt)');
  // The replay window only has to cover the iat window: older proofs fail the iat check anyway.
  if (!check.replayCache.add(`${jkt}:${jti}`, (check.nowSeconds + check.maxSkewSeconds) * 1000))
    throw fail('jti was already used');
  return { jkt, jti };
}
