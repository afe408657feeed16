/**
 * A real third-party issuer nobody on this project wrote: panva's oidc-provider (an OpenID
 * Certified implementation), configured as a deployment would be — confidential clients with
 * client_secret_basic, a resource-server client for introspection, RFC 7662 introspection,
 * RFC 7009 revocation, client credentials, DPoP, and RFC 8707 resource indicators: JWT access
 * tokens for the API, opaque ones for the resource that introspects (oidc-provider does not
 * introspect or revoke structured tokens). The harness's suites run against it through a
 * profile, as they would against any vendor's issuer.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import { freePort } from '../../harness/env/free-port.ts';
import { type ProfileInput, profileSchema } from '../../harness/profile/schema.ts';
import type { Target } from '../../harness/runner/target.ts';

/** The JWT API (what a JWT-validating resource server would accept). */
export const jwtResource = 'https://api.example.test/jwt';
/** The resource whose tokens are opaque and introspected by the resource-server client. */
export const introspectedResource = 'https://api.example.test/introspected';

export interface ThirdPartyIssuer {
  url: string;
  target(extra?: Partial<ProfileInput>): Target;
  close(): Promise<void>;
}

interface ProviderInstance {
  callback(): (request: unknown, response: unknown) => void;
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

export async function startThirdPartyIssuer(): Promise<ThirdPartyIssuer> {
  // @ts-expect-error oidc-provider ships no type declarations
  const { default: Provider, errors } = (await import('oidc-provider')) as {
    default: ProviderConstructor;
    errors: { InvalidRequest: new (description: string) => Error };
  };
  const { InvalidRequest } = errors;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
  const secret = () => randomBytes(24).toString('base64url');
  const secrets = { primary: secret(), secondary: secret(), resourceServer: secret() };
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'third-party-1', alg: 'RS256', use: 'sig' };
  const userClient = (id: string, clientSecret: string) => ({
    client_id: id,
    client_secret: clientSecret,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: [redirectUri],
    scope: 'openid offline_access read write',
  });
  const resources: Record<string, Record<string, unknown>> = {
    [jwtResource]: { scope: 'read write', audience: jwtResource, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } },
    [introspectedResource]: { scope: 'read write', audience: introspectedResource, accessTokenFormat: 'opaque' },
  };
  const provider = new Provider(url, {
    clients: [
      userClient('primary', secrets.primary),
      userClient('secondary', secrets.secondary),
      {
        client_id: 'resource-server',
        client_secret: secrets.resourceServer,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [secret()] },
    scopes: ['openid', 'offline_access', 'read', 'write'],
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
    // Refresh tokens for every client allowed the refresh grant (the default asks for offline_access with prompt=consent).
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(grant: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: 600,
      ClientCredentials: 600,
      RefreshToken: 86_400,
      IdToken: 600,
      Interaction: 600,
      Session: 3_600,
      Grant: 86_400,
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      // Who may see a token's state (RFC 7662 §4, token scanning): the resource server, or the
      // client the token was issued to.
      introspection: {
        enabled: true,
        allowedPolicy: (_ctx: unknown, caller: { clientId: string }, token: { clientId?: string }) =>
          caller.clientId === 'resource-server' || caller.clientId === token.clientId,
      },
      // Only the client a token was issued to may revoke it (RFC 7009 §2.1); others are told so.
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx: unknown, caller: { clientId: string }, token: { clientId?: string }) => {
          if (caller.clientId !== token.clientId)
            throw new InvalidRequest('client is not authorized to revoke the presented token');
          return true;
        },
      },
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          const info = resources[resource];
          if (!info) throw new Error(`unknown resource ${resource}`);
          return info;
        },
      },
    },
  });
  const server: Server = createServer(provider.callback() as Parameters<typeof createServer>[1]);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url,
    target(extra = {}) {
      const profile = profileSchema.parse({
        name: 'oidc-provider (third party)',
        issuer: {
          url,
          clients: {
            primary: { id: 'primary', secret: secrets.primary, scopes: ['openid', 'read', 'write'] },
            secondary: { id: 'secondary', secret: secrets.secondary, scopes: ['openid', 'read', 'write'] },
            resourceServer: { id: 'resource-server', secret: secrets.resourceServer },
          },
          introspection: { audience: introspectedResource },
          login: {
            redirectUri,
            user: 'alice',
            scope: 'openid read',
            steps: [
              { fill: 'input[name=login]', value: 'alice' },
              { fill: 'input[name=password]', value: secret() },
              { click: 'button[type=submit]' },
              // The consent page's button is the one with autofocus.
              { click: 'button[autofocus]' },
            ],
          },
        },
        ...extra,
      });
      return { name: profile.name, profile, baseDir: process.cwd() };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
