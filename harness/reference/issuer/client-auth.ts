/**
 * Client authentication at the token, introspection and revocation endpoints:
 * client_secret_basic, client_secret_post, private_key_jwt (RFC 7523 §3) and public clients.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { signingAlgorithms } from '../../oauth/algorithms.ts';
import { invalidRequest, OAuthError } from '../../oauth/oauth-error.ts';
import type { ClientAuthMethod, ClientConfig } from './config.ts';
import { endpoint, type IssuerContext, paths } from './context.ts';

export const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const assertionAlgorithms: string[] = [...signingAlgorithms];

export interface AuthenticatedClient {
  client: ClientConfig;
  method: ClientAuthMethod;
}

/** Equal-time comparison of secrets of any length: both sides are hashed first. */
export function secretsMatch(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function invalidClient(description: string, basicUsed: boolean): OAuthError {
  const headers: Record<string, string> = basicUsed ? { 'www-authenticate': 'Basic realm="tokenproof", charset="UTF-8"' } : {};
  return new OAuthError('invalid_client', description, 401, headers);
}

function parseBasic(header: string): { id: string; secret: string } | undefined {
  const match = /^basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
    return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

export async function authenticateClient(
  ctx: IssuerContext,
  authorization: string | undefined,
  params: Record<string, string>,
  options: { allowPublic: boolean },
): Promise<AuthenticatedClient> {
  const basicUsed = authorization !== undefined && /^basic /i.test(authorization);
  const used = [basicUsed, params.client_secret !== undefined, params.client_assertion !== undefined].filter(Boolean).length;
  if (used > 1) throw invalidRequest('more than one client authentication method was used');

  if (basicUsed) {
    const credentials = parseBasic(authorization!);
    if (!credentials) throw invalidClient('malformed Basic credentials', true);
    if (params.client_id !== undefined && params.client_id !== credentials.id) {
      throw invalidRequest('client_id in the body differs from the authenticated client');
    }
    return checkSecret(ctx, credentials.id, credentials.secret, 'client_secret_basic', true);
  }
  if (params.client_secret !== undefined) {
    if (!params.client_id) throw invalidRequest('client_secret needs client_id');
    return checkSecret(ctx, params.client_id, params.client_secret, 'client_secret_post', false);
  }
  if (params.client_assertion !== undefined) return checkAssertion(ctx, params);

  const client = params.client_id ? ctx.clients.get(params.client_id) : undefined;
  if (!client) throw invalidClient('client authentication is required', false);
  if (client.auth !== 'none') throw invalidClient(`client ${client.id} must authenticate with ${client.auth}`, false);
  if (!options.allowPublic) throw invalidClient('public clients cannot use this endpoint', false);
  return { client, method: 'none' };
}

function checkSecret(
  ctx: IssuerContext,
  id: string,
  secret: string,
  method: ClientAuthMethod,
  basicUsed: boolean,
): AuthenticatedClient {
  const client = ctx.clients.get(id);
  // Compare against a dummy when the client is unknown, so timing does not reveal which ids exist.
  const expected = client?.secret ?? '\u0000unknown-client';
  const ok = secretsMatch(secret, expected);
  if (!client || !ok) throw invalidClient('client authentication failed', basicUsed);
  if (client.auth !== method) throw invalidClient(`client ${client.id} must authenticate with ${client.auth}`, basicUsed);
  return { client, method };
}

async function checkAssertion(ctx: IssuerContext, params: Record<string, string>): Promise<AuthenticatedClient> {
  if (params.client_assertion_type !== assertionType) throw invalidRequest(`client_assertion_type must be ${assertionType}`);
  const assertion = params.client_assertion!;
  let unverifiedIss: unknown;
  try {
    unverifiedIss = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')).iss;
  } catch {
    throw invalidClient('client_assertion is not a JWT', false);
  }
  const client = typeof unverifiedIss === 'string' ? ctx.clients.get(unverifiedIss) : undefined;
  if (client?.auth !== 'private_key_jwt' || !client.jwks) throw invalidClient('client authentication failed', false);
  if (params.client_id !== undefined && params.client_id !== client.id)
    throw invalidRequest('client_id differs from the assertion issuer');
  let payload: { jti?: unknown; exp?: number };
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks as JSONWebKeySet), {
      issuer: client.id,
      subject: client.id,
      audience: [ctx.issuer, endpoint(ctx, paths.token)],
      algorithms: assertionAlgorithms,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: 30,
      currentDate: new Date(ctx.clock.nowMs()),
    }));
  } catch (error) {
    throw invalidClient(`client_assertion rejected: ${(error as Error).message}`, false);
  }
  if (typeof payload.jti !== 'string') throw invalidClient('client_assertion jti must be a string', false);
  if (!ctx.assertionReplay.add(`${client.id}:${payload.jti}`, (payload.exp! + 30) * 1000)) {
    throw invalidClient('client_assertion jti was already used', false);
  }
  return { client, method: 'private_key_jwt' };
}
