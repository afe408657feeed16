/**
 * Starts a real reference issuer for a test file, with known clients and a user, and offers the
 * shared client steps bound to it. Secrets are random per start, as they would be in use.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { exportJWK } from 'jose';
import { type ClientAuth, loginWithForm, pkcePair, tokenRequest } from '../../harness/oauth/client.ts';
import type { IssuerConfigInput } from '../../harness/reference/issuer/config.ts';
import { type RunningIssuer, startIssuer } from '../../harness/reference/issuer/server.ts';

export const redirectUri = 'http://127.0.0.1:9499/callback';
const tokenExchange = 'urn:ietf:params:oauth:grant-type:token-exchange';

export interface TestIssuer {
  issuer: RunningIssuer;
  url: string;
  endpoints: {
    token: string;
    authorize: string;
    introspect: string;
    revoke: string;
    jwks: string;
    userinfo: string;
    events: string;
  };
  secrets: { primary: string; secondary: string; post: string; admin: string; password: string };
  /** client_secret_basic, all grants, scopes openid read write. */
  primary: ClientAuth;
  /** A second confidential client, for cross-client checks. */
  secondary: ClientAuth;
  /** client_secret_post. */
  post: ClientAuth;
  /** private_key_jwt with an ES256 key. */
  jwtClient: ClientAuth;
  /** A public client (PKCE only). */
  spa: ClientAuth;
  user: { username: string; password: string };
  /** Shifts the issuer's clock through its admin API (expiry without sleeping); throws unless it answers 200. */
  setClockOffset(offsetSeconds: number): Promise<void>;
  /** Logs the user in for `client` and redeems the code; returns the token endpoint's answer. */
  login(client: ClientAuth, options?: { scope?: string; headers?: Record<string, string> }): ReturnType<typeof tokenRequest>;
  close(): Promise<void>;
}

/**
 * `options.loginRedirectUri`: one more registered redirect URI for the login clients, so a test
 * can receive the callback on a free port (the fixed redirectUri can collide between test files).
 */
export async function startTestIssuer(
  overrides: Partial<IssuerConfigInput> = {},
  options: { loginRedirectUri?: string } = {},
): Promise<TestIssuer> {
  const redirectUris = [...new Set([redirectUri, options.loginRedirectUri ?? redirectUri])];
  const secrets = {
    primary: randomBytes(24).toString('base64url'),
    secondary: randomBytes(24).toString('base64url'),
    post: randomBytes(24).toString('base64url'),
    admin: randomBytes(24).toString('base64url'),
    password: randomBytes(12).toString('base64url'),
  };
  const jwtKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwtPublic = { ...(await exportJWK(jwtKeys.publicKey)), kid: 'jwt-client-1', alg: 'ES256', use: 'sig' };
  const grants = ['client_credentials', 'authorization_code', 'refresh_token', tokenExchange] as const;
  const config: IssuerConfigInput = {
    adminToken: secrets.admin,
    resources: ['api://default', 'api://orders', 'api://billing'],
    clients: [
      {
        id: 'primary',
        secret: secrets.primary,
        scopes: ['openid', 'read', 'write'],
        grantTypes: [...grants],
        redirectUris,
      },
      {
        id: 'secondary',
        secret: secrets.secondary,
        scopes: ['openid', 'read', 'write'],
        grantTypes: [...grants],
        redirectUris,
      },
      { id: 'poster', secret: secrets.post, auth: 'client_secret_post', scopes: ['read'], grantTypes: ['client_credentials'] },
      {
        id: 'jwt-client',
        auth: 'private_key_jwt',
        jwks: { keys: [jwtPublic] },
        scopes: ['read'],
        grantTypes: ['client_credentials'],
      },
      {
        id: 'spa',
        auth: 'none',
        scopes: ['openid', 'read'],
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris,
      },
    ],
    users: [{ username: 'alice', password: secrets.password, sub: 'user-alice', claims: { name: 'Alice' } }],
    ...overrides,
  };
  const issuer = await startIssuer(config);
  const url = issuer.url;
  const endpoints = {
    token: `${url}/token`,
    authorize: `${url}/authorize`,
    introspect: `${url}/introspect`,
    revoke: `${url}/revoke`,
    jwks: `${url}/jwks`,
    userinfo: `${url}/userinfo`,
    events: `${url}/events/revocations`,
  };
  const user = { username: 'alice', password: secrets.password };
  return {
    issuer,
    url,
    endpoints,
    secrets,
    primary: { method: 'client_secret_basic', clientId: 'primary', secret: secrets.primary },
    secondary: { method: 'client_secret_basic', clientId: 'secondary', secret: secrets.secondary },
    post: { method: 'client_secret_post', clientId: 'poster', secret: secrets.post },
    jwtClient: {
      method: 'private_key_jwt',
      clientId: 'jwt-client',
      privateKey: jwtKeys.privateKey,
      alg: 'ES256',
      kid: 'jwt-client-1',
      audience: url,
    },
    spa: { method: 'none', clientId: 'spa' },
    user,
    async setClockOffset(offsetSeconds) {
      const response = await fetch(`${url}/admin/clock`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secrets.admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ offsetSeconds }),
      });
      if (response.status !== 200) throw new Error(`POST /admin/clock answered HTTP ${response.status}`);
    },
    async login(client, options = {}) {
      const pkce = pkcePair();
      const query = await loginWithForm(
        {
          authorizationEndpoint: endpoints.authorize,
          clientId: client.clientId,
          redirectUri,
          scope: options.scope ?? 'openid read',
          codeChallenge: pkce.challenge,
          state: 'st',
        },
        user,
      );
      const code = query.get('code');
      if (!code) throw new Error(`login failed: ${query.get('error')} ${query.get('error_description')}`);
      return tokenRequest(
        endpoints.token,
        { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: pkce.verifier },
        client,
        options.headers,
      );
    },
    close: () => issuer.close(),
  };
}

/** Decodes a JWT's payload without verifying it (tests inspect claims). */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function headerOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
