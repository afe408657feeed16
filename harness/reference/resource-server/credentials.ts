/**
 * Where the access token is in a request (RFC 6750 §2, RFC 9449 §7.1): the Authorization
 * header with the Bearer or DPoP scheme (scheme names are case-insensitive, RFC 9110 §11.1),
 * or, only when configured, the `access_token` query parameter. More than one method, a
 * repeated header or an empty token is a malformed request (RFC 6750 §3.1 invalid_request).
 */
import { invalidRequest, invalidToken, noCredentials } from './resource-error.ts';

export interface Credentials {
  scheme: 'Bearer' | 'DPoP';
  token: string;
}

export interface CredentialRequest {
  headers: { authorization?: string; 'content-type'?: string };
  rawHeaders: string[];
  /** The request target (path and query). */
  url: string;
  body?: unknown;
}

export interface CredentialRules {
  allowQueryToken: boolean;
  dpopEnabled: boolean;
}

/** RFC 6750 §2.1 b64token. */
const b64token = /^[A-Za-z0-9\-._~+/]+=*$/;

/** How often a header appears (node keeps only the first Authorization header). */
export function headerCount(rawHeaders: string[], lowerCaseName: string): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!;
    if (name.length === lowerCaseName.length && name.toLowerCase() === lowerCaseName) count++;
  }
  return count;
}

export function readCredentials(request: CredentialRequest, rules: CredentialRules): Credentials {
  const header = request.headers.authorization;
  const queryToken = request.url.includes('?') ? tokenParameter(request.url) : undefined;
  const bodyToken = request.body !== undefined ? formBodyToken(request) : undefined;
  if (header === undefined) {
    if (queryToken === undefined && bodyToken === undefined) {
      throw noCredentials('none', 'an access token is required');
    }
    if (queryToken !== undefined && bodyToken !== undefined) {
      throw invalidRequest('several_methods', 'the access token must be sent one way only');
    }
    if (queryToken === undefined || !rules.allowQueryToken) {
      // RFC 6750 §3.1: an unsupported way of sending the token is answered like no token at all.
      throw noCredentials('unsupported_method', 'send the access token in the Authorization header');
    }
    return { scheme: 'Bearer', token: checkToken(queryToken) };
  }
  if (queryToken !== undefined || bodyToken !== undefined) {
    throw invalidRequest('several_methods', 'the access token must be sent one way only');
  }
  if (headerCount(request.rawHeaders, 'authorization') > 1) {
    throw invalidRequest('repeated_header', 'the Authorization header appears more than once');
  }
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : header.slice(space + 1).trimStart();
  if (scheme === 'bearer') return { scheme: 'Bearer', token: checkToken(value) };
  if (scheme === 'dpop' && rules.dpopEnabled) return { scheme: 'DPoP', token: checkToken(value) };
  throw noCredentials('unsupported_scheme', 'the Authorization scheme is not supported here');
}

function checkToken(value: string): string {
  if (value === '') throw invalidRequest('empty_token', 'the access token is empty');
  // RFC 6750 §3.1: a malformed token is an invalid_token (401), not a malformed request.
  if (!b64token.test(value)) throw invalidToken('malformed', 'the access token has characters a token cannot have');
  return value;
}

/** The access_token query parameter: a string, '' when present but empty; repeated is malformed. */
function tokenParameter(url: string): string | undefined {
  const query = url.indexOf('?');
  if (query < 0) return undefined;
  const values = new URLSearchParams(url.slice(query + 1)).getAll('access_token');
  if (values.length > 1) throw invalidRequest('repeated_parameter', 'access_token appears more than once');
  return values[0];
}

/** RFC 6750 §2.2: a form-encoded body may carry the token; this server does not accept it, but notices it. */
function formBodyToken(request: CredentialRequest): string | undefined {
  const type = request.headers['content-type'] ?? '';
  if (!Buffer.isBuffer(request.body) || !/^application\/x-www-form-urlencoded\b/i.test(type)) return undefined;
  return new URLSearchParams(request.body.toString('latin1')).get('access_token') ?? undefined;
}
