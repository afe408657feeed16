/**
 * Reading token-endpoint answers the way RFC 6749 §5 defines them, shared by the token-endpoint
 * and refresh suites: what an answer says in one line, the claims of a JWT, which scope a token
 * was granted (RFC 6749 §3.3), and whether a header carries a directive.
 */
import type { HttpAnswer, TokenAnswer } from '../../harness/oauth/client.ts';

/** "HTTP 400 invalid_grant" (or "HTTP 200"), for reasons and notes. */
export function said(answer: HttpAnswer<TokenAnswer>): string {
  return `HTTP ${answer.status}${typeof answer.body.error === 'string' ? ` ${answer.body.error}` : ''}`;
}

/** A JWT's claims (not verified: these checks judge content; K04 judges signatures), or undefined for opaque tokens. */
export function jwtClaims(token: string | undefined): Record<string, unknown> | undefined {
  const parts = token?.split('.');
  if (parts?.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const scopeList = (value: unknown): string[] | undefined =>
  typeof value === 'string'
    ? value.split(' ').filter(Boolean)
    : Array.isArray(value) && value.every((item) => typeof item === 'string')
      ? (value as string[])
      : undefined;

export interface GrantedScope {
  scopes: string[];
  /** Where the scope was read: the response's scope parameter, the JWT's claim, or RFC 6749 §3.3's reading of an answer without one. */
  from: 'response' | 'token claim' | 'requested (no scope in the answer)';
}

/**
 * The scope a successful answer granted. RFC 6749 §3.3: a server that issues a scope different
 * from the request MUST say so in `scope`; an answer without it grants what was requested. A
 * JWT's own scope claim (RFC 9068 §2.2.3, or the `scp` array some issuers use) wins over that
 * reading, since it is what resource servers will enforce.
 */
export function grantedScope(answer: HttpAnswer<TokenAnswer>, requested: string[]): GrantedScope {
  const claims = jwtClaims(answer.body.access_token);
  const fromClaim = scopeList(claims?.scope) ?? scopeList(claims?.scp);
  if (fromClaim) return { scopes: fromClaim, from: 'token claim' };
  const fromResponse = scopeList(answer.body.scope);
  if (fromResponse) return { scopes: fromResponse, from: 'response' };
  return { scopes: requested, from: 'requested (no scope in the answer)' };
}

/** Whether a header (Cache-Control, WWW-Authenticate) lists a directive, case-insensitively. */
export function hasDirective(value: string | null, directive: string): boolean {
  return (value ?? '')
    .split(',')
    .map((part) => part.trim().split('=')[0]!.toLowerCase())
    .includes(directive.toLowerCase());
}

/** Whether the answer is a refusal in RFC 6749 §5.2 form: 400/401 with an `error` member. */
export const refused = (answer: HttpAnswer<TokenAnswer>): boolean =>
  (answer.status === 400 || answer.status === 401) && typeof answer.body.error === 'string';
