/**
 * The configuration `tokenproof serve issuer` uses without --config: a confidential demo client,
 * a public SPA client and one user, with secrets generated per start. The secrets are written to
 * a file readable only by the owner instead of being printed.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretTempDir } from '../../lib/secret-files.ts';
import type { IssuerConfigInput } from './config.ts';

export interface DemoCredentials {
  clientId: string;
  clientSecret: string;
  publicClientId: string;
  redirectUri: string;
  username: string;
  password: string;
}

export function demoIssuerConfig(options: { port?: number; host?: string } = {}): {
  config: IssuerConfigInput;
  credentials: DemoCredentials;
} {
  const credentials: DemoCredentials = {
    clientId: 'demo',
    clientSecret: randomBytes(24).toString('base64url'),
    publicClientId: 'demo-spa',
    redirectUri: 'http://127.0.0.1:9499/callback',
    username: 'alice',
    password: randomBytes(12).toString('base64url'),
  };
  const config: IssuerConfigInput = {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    resources: ['api://default', 'api://demo'],
    clients: [
      {
        id: credentials.clientId,
        secret: credentials.clientSecret,
        auth: 'client_secret_basic',
        scopes: ['openid', 'profile', 'read', 'write'],
        grantTypes: [
          'client_credentials',
          'authorization_code',
          'refresh_token',
          'urn:ietf:params:oauth:grant-type:token-exchange',
        ],
        redirectUris: [credentials.redirectUri],
      },
      {
        id: credentials.publicClientId,
        auth: 'none',
        scopes: ['openid', 'profile', 'read'],
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [credentials.redirectUri],
      },
    ],
    users: [
      { username: credentials.username, password: credentials.password, sub: 'user-alice', claims: { name: 'Alice Example' } },
    ],
  };
  return { config, credentials };
}

/** Writes the demo credentials to a new owner-only file and returns its path. */
export function writeCredentialsFile(credentials: DemoCredentials): string {
  // Read while the issuer runs; the secrets are worth nothing after it stops, so the file goes with it.
  const dir = secretTempDir('tokenproof-').path;
  const file = join(dir, 'demo-credentials.json');
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return file;
}
