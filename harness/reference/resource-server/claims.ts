/**
 * The access token's claims, checked (RFC 9068 §4, RFC 7519 §4.1, RFC 7662 §2.2): the issuer
 * exactly, the audience, the types of every claim this server reads, and the times. The same
 * rules judge a JWT's payload and an introspection answer, so both modes refuse the same tokens.
 *
 * Every claim is type-checked before use: a token with `"exp": "soon"` or `"aud": {}` is an
 * invalid token (401), never a crash. Claims are read as own properties of a JSON.parse result,
 * so a `__proto__` member is just an ignored key.
 */

import type { JwksKey } from './jwks.ts';
import { invalidToken } from './resource-error.ts';
import type { JsonObject } from './strict-json.ts';

/** What a request handler learns from a valid token. */
export interface VerifiedToken {
  sub: string | undefined;
  clientId: string | undefined;
  /** The scope claim as issued (space-delimited). */
  scope: string;
  scopes: ReadonlySet<string>;
  jti: string | undefined;
  /** Milliseconds since the epoch; Infinity when an introspection answer gives no exp. */
  expiresAt: number;
  /** Milliseconds since the epoch; -Infinity without nbf. */
  notBefore: number;
  /** RFC 9449 §6: the DPoP key thumbprint the token is bound to. */
  jkt: string | undefined;
  /** JWT mode: the key that verified the signature, checked again whenever the token is reused from cache. */
  key?: JwksKey;
}

export interface ClaimRules {
  issuer: string;
  audiences: readonly string[];
  /** JWTs must carry iss and exp (RFC 9068 §2.2); an introspection answer may leave them out (RFC 7662 §2.2). */
  requireIssAndExp: boolean;
}

const noScopes: ReadonlySet<string> = new Set();

export function readClaims(claims: JsonObject, rules: ClaimRules): VerifiedToken {
  // An introspection answer also covers refresh tokens: those never open a resource.
  const tokenType = own(claims, 'token_type');
  if (tokenType !== undefined && (typeof tokenType !== 'string' || !/^(bearer|dpop|access_token)$/i.test(tokenType))) {
    throw invalidToken('token_type', 'the token is not an access token');
  }
  const iss = own(claims, 'iss');
  if (iss === undefined ? rules.requireIssAndExp : iss !== rules.issuer) {
    throw invalidToken('issuer', 'the token was not issued by the trusted issuer');
  }
  if (!audienceMatches(own(claims, 'aud'), rules.audiences)) {
    throw invalidToken('audience', 'the token is not meant for this resource server');
  }
  const exp = own(claims, 'exp');
  if (exp === undefined ? rules.requireIssAndExp : !isNumericDate(exp)) {
    throw invalidToken('exp', 'the token has no valid expiry (exp)');
  }
  const nbf = own(claims, 'nbf');
  const iat = own(claims, 'iat');
  if ((nbf !== undefined && !isNumericDate(nbf)) || (iat !== undefined && !isNumericDate(iat))) {
    throw invalidToken('claim_type', 'a time claim (nbf, iat) is not a number');
  }
  const sub = own(claims, 'sub');
  const clientId = own(claims, 'client_id');
  const jti = own(claims, 'jti');
  const scope = own(claims, 'scope');
  for (const value of [sub, clientId, jti, scope]) {
    if (value !== undefined && typeof value !== 'string') {
      throw invalidToken('claim_type', 'a claim (sub, client_id, jti, scope) is not a string');
    }
  }
  return {
    sub: sub as string | undefined,
    clientId: clientId as string | undefined,
    scope: (scope as string | undefined) ?? '',
    scopes: typeof scope === 'string' && scope !== '' ? new Set(scope.split(' ')) : noScopes,
    jti: jti as string | undefined,
    expiresAt: exp === undefined ? Number.POSITIVE_INFINITY : (exp as number) * 1000,
    notBefore: nbf === undefined ? Number.NEGATIVE_INFINITY : (nbf as number) * 1000,
    jkt: readBinding(own(claims, 'cnf')),
  };
}

/** RFC 9449 §6.1 `cnf.jkt`. A confirmation this server cannot check (mTLS `x5t#S256`, …) refuses the token. */
function readBinding(cnf: unknown): string | undefined {
  if (cnf === undefined) return undefined;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) {
    throw invalidToken('claim_type', 'the cnf claim is not an object');
  }
  const members = Object.keys(cnf);
  const jkt = own(cnf as JsonObject, 'jkt');
  if (members.length !== 1 || typeof jkt !== 'string' || jkt === '') {
    throw invalidToken('binding', 'the token is bound by a confirmation method this server does not support');
  }
  return jkt;
}

/** RFC 7519 §4.1.3: a string equal to one of ours, or a non-empty array of strings containing one. `*` is not special. */
function audienceMatches(aud: unknown, audiences: readonly string[]): boolean {
  if (typeof aud === 'string') return audiences.includes(aud);
  if (!Array.isArray(aud) || aud.length === 0) return false;
  let found = false;
  for (const item of aud) {
    if (typeof item !== 'string') return false;
    if (audiences.includes(item)) found = true;
  }
  return found;
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function own(object: JsonObject, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

/** exp and nbf against now, with the configured leeway (RFC 7519 §4.1.4, §4.1.5). Checked on every use, cached or not. */
export function checkTimes(token: VerifiedToken, nowMs: number, leewayMs: number): void {
  if (nowMs >= token.expiresAt + leewayMs) throw invalidToken('expired', 'the token has expired');
  if (nowMs + leewayMs < token.notBefore) throw invalidToken('not_yet_valid', 'the token is not valid yet (nbf)');
}
