/**
 * Validation of an RFC 9068 JWT access token, in the order that refuses bad tokens cheapest
 * and safest: size, strict parsing, the header (algorithm allow-list, `typ`, `crit`, `b64`)
 * before any key is looked up, then the key by kid from the issuer's JWKS only, the signature,
 * and only then the claims. Header members that point at keys (`jwk`, `jku`, `x5u`, `x5c`) are
 * ignored: keys come from the configured issuer's JWKS and nowhere else (RFC 8725 §3.10).
 */
import { type Algorithm, isSupportedAlgorithm, keyFitsAlgorithm, verifySignature } from './algorithms.ts';
import { type ClaimRules, readClaims, type VerifiedToken } from './claims.ts';
import { type CompactJws, readCompactJws, readPayload } from './compact-jws.ts';
import type { JwksCache, JwksEntry, JwksKey } from './jwks.ts';
import { invalidToken, unavailable } from './resource-error.ts';
import type { JsonObject } from './strict-json.ts';

export interface JwtRules extends ClaimRules {
  algorithms: ReadonlySet<Algorithm>;
  maxTokenLength: number;
}

/** RFC 9068 §4 and RFC 8725 §3.11: `typ` is `at+jwt`; the `application/` prefix is optional and media types are case-insensitive. */
function isAccessTokenType(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const type = typ.toLowerCase();
  return type === 'at+jwt' || type === 'application/at+jwt';
}

/** The header checks that need no key; returns the algorithm and kid. */
export function checkHeader(header: JsonObject, algorithms: ReadonlySet<Algorithm>): { alg: Algorithm; kid: string | undefined } {
  const alg = header.alg;
  // `none`, HS*, unknown and disallowed algorithms all end here, before any key lookup.
  if (!isSupportedAlgorithm(alg) || !algorithms.has(alg)) {
    throw invalidToken('algorithm', 'the token is signed with an algorithm this server does not accept');
  }
  if (!isAccessTokenType(header.typ)) throw invalidToken('type', 'the token is not a JWT access token (typ at+jwt)');
  // RFC 7515 §4.1.11: this server understands no extension, so any crit member is unsupported.
  if (Object.hasOwn(header, 'crit'))
    throw invalidToken('crit', 'the token has critical header parameters this server does not support');
  // RFC 7797: an unencoded payload changes what the signature covers.
  if (Object.hasOwn(header, 'b64') && header.b64 !== true) {
    throw invalidToken('b64', 'the token uses an unencoded payload (b64)');
  }
  const kid = header.kid;
  if (kid !== undefined && (typeof kid !== 'string' || kid === '')) throw invalidToken('kid', 'the token kid is not a string');
  return { alg, kid };
}

/**
 * Validates a token; synchronous (a value, or a throw) whenever its key is already known, a
 * promise only when an unknown kid makes it wait for a JWKS refetch. No step is skipped either way.
 */
export function validateJwtAccessToken(token: string, jwks: JwksCache, rules: JwtRules): VerifiedToken | Promise<VerifiedToken> {
  if (token.length > rules.maxTokenLength) throw invalidToken('too_long', 'the token is too long');
  const jws = readCompactJws(token);
  if (!jws) throw invalidToken('malformed', 'the token is not a well-formed compact JWS');
  const { alg, kid } = checkHeader(jws.header, rules.algorithms);
  const candidates = jwks.lookup(kid);
  if (candidates.length === 0) return lookupAfterRefetch(jwks, kid).then((found) => verifiedClaims(jws, alg, found, rules));
  return verifiedClaims(jws, alg, candidates, rules);
}

/** The signature with the candidate keys, then (only once it verified) the claims. */
function verifiedClaims(jws: CompactJws, alg: Algorithm, candidates: readonly JwksEntry[], rules: JwtRules): VerifiedToken {
  const key = verifyWithCandidates(jws, alg, candidates);
  const payload = readPayload(jws);
  if (!payload) throw invalidToken('malformed', 'the token claims are not a JSON object');
  const verified = readClaims(payload, rules);
  verified.key = key;
  return verified;
}

/** An unknown kid: refetch the JWKS once if the cool-down allows, and look again. */
async function lookupAfterRefetch(jwks: JwksCache, kid: string | undefined): Promise<readonly JwksEntry[]> {
  const refetch = jwks.refreshForUnknownKid();
  if (refetch) await refetch;
  // Without any key set, nothing can be verified: the issuer is unreachable, not the token bad.
  if (!jwks.loaded) throw unavailable('jwks_unavailable', 'the issuer keys cannot be fetched');
  const candidates = jwks.lookup(kid);
  if (candidates.length === 0) throw invalidToken('unknown_key', 'the token is signed with an unknown key');
  return candidates;
}

function verifyWithCandidates(jws: CompactJws, alg: Algorithm, candidates: readonly JwksEntry[]): JwksKey {
  let fitting = 0;
  let refused: string | undefined;
  for (const candidate of candidates) {
    if ('refused' in candidate) {
      refused = candidate.refused;
      continue;
    }
    if (!keyFitsAlgorithm(candidate, alg)) continue;
    fitting++;
    if (verifySignature(alg, candidate.key, jws.signingInput, jws.signature)) return candidate;
  }
  if (fitting === 0 && refused !== undefined) throw invalidToken('key_refused', 'the signing key may not verify tokens');
  if (fitting === 0) throw invalidToken('key_mismatch', 'the signing key does not fit the token algorithm');
  throw invalidToken('signature', 'the token signature is invalid');
}
