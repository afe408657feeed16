/**
 * `tokenproof up`: the embedded reference stack (issuer, resource server, harness test issuer)
 * in the foreground, for a person to explore or to point a client at, until Ctrl-C. Secrets
 * are written to an owner-only file, never printed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audience, startEmbedded } from '../env/embedded.ts';
import { startHarnessIssuer } from '../test-issuer/server.ts';
import { waitForSignal } from './serve.ts';

export async function up(print: (line: string) => void): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'tokenproof-up-'));
  const stack = await startEmbedded({ workDir, log: print });
  try {
    const testIssuer = await startHarnessIssuer({ audience });
    try {
      const credentialsFile = join(workDir, 'credentials.json');
      const { issuer, resourceServer } = stack.credentials;
      writeFileSync(
        credentialsFile,
        `${JSON.stringify(
          {
            issuer,
            resourceServer,
            clients: {
              primary: { id: 'primary', secret: stack.credentials.TOKENPROOF_PRIMARY_SECRET, auth: 'client_secret_basic' },
              secondary: { id: 'secondary', secret: stack.credentials.TOKENPROOF_SECONDARY_SECRET, auth: 'client_secret_basic' },
              spa: { id: 'spa', auth: 'none', redirectUri: 'http://127.0.0.1:9499/callback' },
            },
            user: { username: 'alice', password: stack.credentials.TOKENPROOF_ALICE_PASSWORD },
            adminToken: stack.credentials.TOKENPROOF_ADMIN_TOKEN,
          },
          null,
          2,
        )}\n`,
        { mode: 0o600 },
      );
      print('');
      print(`issuer            ${issuer}  (discovery: ${issuer}/.well-known/openid-configuration)`);
      print(`resource server   ${resourceServer}/protected  (audience ${audience}, trusts the issuer)`);
      print(`test issuer       ${testIssuer.url}  (the harness's forging issuer; JWKS ${testIssuer.jwksUri})`);
      print(`credentials       ${credentialsFile}  (client primary/secondary, public client spa, user alice, admin token)`);
      print(`logs              ${workDir}`);
      print('');
      print('try:');
      print(`  SECRET=$(node -p "require('${credentialsFile}').clients.primary.secret")`);
      print(
        `  TOKEN=$(curl -s -u "primary:$SECRET" -d grant_type=client_credentials -d resource=${audience} ${issuer}/token | node -p "JSON.parse(require('fs').readFileSync(0)).access_token")`,
      );
      print(`  curl -H "Authorization: Bearer $TOKEN" ${resourceServer}/protected`);
      print('');
      print('ready; Ctrl-C stops everything');
      await waitForSignal();
      print('stopping');
    } finally {
      await testIssuer.close();
    }
  } finally {
    await stack.stop();
  }
}
