/** signing.privateKeyFile: a configured key signs from the start, so the kid survives restarts. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../harness/lib/errors.ts';
import { tokenRequest } from '../../../harness/oauth/client.ts';
import { loadIssuerConfig } from '../../../harness/reference/issuer/config.ts';
import { startIssuer } from '../../../harness/reference/issuer/server.ts';
import { headerOf } from '../../support/issuer.ts';

const dir = mkdtempSync(join(tmpdir(), 'tokenproof-keyfile-'));
const pem = (type: 'rsa' | 'ec') =>
  (type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  ).privateKey
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();

describe('issuer signing key from a file', () => {
  it('signs with the configured key, with the same kid after a restart', async () => {
    writeFileSync(join(dir, 'signing.pem'), pem('rsa'), { mode: 0o600 });
    const file = join(dir, 'issuer.yaml');
    writeFileSync(
      file,
      'signing:\n  privateKeyFile: signing.pem\nclients:\n  - { id: a, secret: a-secret-value-1234, scopes: [read] }\n',
    );
    const kids: unknown[] = [];
    for (let start = 0; start < 2; start++) {
      const issuer = await startIssuer(loadIssuerConfig(file));
      try {
        const answer = await tokenRequest(
          `${issuer.url}/token`,
          { grant_type: 'client_credentials' },
          { method: 'client_secret_basic', clientId: 'a', secret: 'a-secret-value-1234' },
        );
        kids.push(headerOf(answer.body.access_token!).kid);
        const jwks = (await (await fetch(`${issuer.url}/jwks`)).json()) as { keys: { kid: string }[] };
        expect(jwks.keys.map((key) => key.kid)).toEqual([kids[start]]);
      } finally {
        await issuer.close();
      }
    }
    expect(kids[0]).toBe(kids[1]);
  });

  it('refuses a key that cannot sign the configured alg, naming the file and field', async () => {
    writeFileSync(join(dir, 'ec.pem'), pem('ec'));
    const error = await startIssuer({
      signing: { alg: 'RS256', privateKeyFile: join(dir, 'ec.pem') },
      clients: [{ id: 'a', secret: 'a-secret-value-1234' }],
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/ec\.pem: field 'signing\.privateKeyFile' holds a ec key, which cannot sign RS256/);
  });

  it('refuses a file that is not a PEM private key', async () => {
    writeFileSync(join(dir, 'junk.pem'), 'not a key');
    const error = await startIssuer({
      signing: { privateKeyFile: join(dir, 'junk.pem') },
      clients: [{ id: 'a', secret: 'a-secret-value-1234' }],
    }).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/is not a readable PEM private key/);
  });
});
