/**
 * What the load scenarios need to know about the target, read once before k6 starts: the
 * issuer's endpoints (from discovery, or the profile's overrides), the clients a k6 script can
 * authenticate as, and which operations the target can therefore serve.
 */
import { EnvironmentError } from '../lib/errors.ts';
import type { ClientAuth } from '../oauth/client.ts';
import { issuerMetadataUrls } from '../oauth/well-known.ts';
import type { ClientProfile, Profile } from '../profile/schema.ts';
import type { Operation } from './scenarios.ts';

export interface LoadClient {
  name: string;
  id: string;
  secret: string;
  auth: 'client_secret_basic' | 'client_secret_post';
}

export interface LoadTarget {
  tokenEndpoint?: string;
  introspectionEndpoint?: string;
  revocationEndpoint?: string;
  authorizationEndpoint?: string;
  /** Clients with a shared secret: k6 scripts authenticate with basic or post. */
  clients: LoadClient[];
  introspectionClient?: LoadClient;
  resourceServerUrl?: string;
  /** Why an operation is not available, for the report. */
  unavailable: Partial<Record<Operation, string>>;
}

function secretClient(name: string, client: ClientProfile | undefined): LoadClient | undefined {
  if (!client?.secret || (client.auth !== 'client_secret_basic' && client.auth !== 'client_secret_post')) return undefined;
  return { name, id: client.id, secret: client.secret, auth: client.auth };
}

export function clientAuth(client: LoadClient): ClientAuth {
  return { method: client.auth, clientId: client.id, secret: client.secret };
}

async function discovery(issuer: string, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
  for (const url of issuerMetadataUrls(issuer)) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (response.ok) return (await response.json()) as Record<string, unknown>;
    } catch {
      // the other well-known path may answer
    }
  }
  return undefined;
}

export async function describeLoadTarget(profile: Profile): Promise<LoadTarget> {
  const unavailable: LoadTarget['unavailable'] = {};
  const issuer = profile.issuer;
  const metadata = issuer ? await discovery(issuer.url, profile.timeouts.request) : undefined;
  if (issuer && !metadata)
    throw new EnvironmentError(
      `the issuer ${issuer.url} serves no discovery metadata`,
      'check that the issuer runs and serves /.well-known/openid-configuration',
    );
  const endpoint = (name: string) => (typeof metadata?.[name] === 'string' ? (metadata[name] as string) : undefined);
  const clients = [
    secretClient('primary', issuer?.clients?.primary),
    secretClient('secondary', issuer?.clients?.secondary),
  ].filter((client) => client !== undefined);
  const introspectionClient =
    secretClient('introspection', issuer?.introspection?.client) ??
    secretClient('resourceServer', issuer?.clients?.resourceServer) ??
    clients[0];
  const target: LoadTarget = {
    ...(endpoint('token_endpoint') && { tokenEndpoint: endpoint('token_endpoint') }),
    ...((issuer?.introspection?.url ?? endpoint('introspection_endpoint')) && {
      introspectionEndpoint: issuer?.introspection?.url ?? endpoint('introspection_endpoint'),
    }),
    ...(endpoint('revocation_endpoint') && { revocationEndpoint: endpoint('revocation_endpoint') }),
    ...(endpoint('authorization_endpoint') && { authorizationEndpoint: endpoint('authorization_endpoint') }),
    clients,
    ...(introspectionClient && { introspectionClient }),
    ...(profile.resourceServer && { resourceServerUrl: profile.resourceServer.url }),
    unavailable,
  };
  if (!target.tokenEndpoint || clients.length === 0)
    unavailable.issuance = !issuer
      ? 'the profile has no issuer'
      : !target.tokenEndpoint
        ? 'discovery names no token_endpoint'
        : 'the profile has no client with a client_secret (basic or post)';
  if (!profile.resourceServer) unavailable.validation = 'the profile has no resourceServer';
  if (!target.introspectionEndpoint || !introspectionClient)
    unavailable.introspection = !target.introspectionEndpoint
      ? 'the issuer advertises no introspection_endpoint'
      : 'no client to authenticate at the introspection endpoint';
  if (!target.revocationEndpoint || clients.length === 0)
    unavailable.revocation = 'the issuer advertises no revocation_endpoint (or the profile has no client)';
  if (!issuer?.login || !target.authorizationEndpoint || clients.length === 0)
    unavailable.refresh = 'refresh tokens need a user login (issuer.login) and a client with a secret';
  return target;
}

export function availableOperations(target: LoadTarget): Set<Operation> {
  const all: Operation[] = ['issuance', 'validation', 'introspection', 'refresh', 'revocation'];
  return new Set(all.filter((op) => target.unavailable[op] === undefined));
}
