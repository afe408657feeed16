/**
 * `tokenproof up`: the reference stack (issuer, resource server, harness test issuer), as local
 * processes or (--env containers) in Docker, in the foreground, for a person to explore or to point a client at, until Ctrl-C. Secrets
 * are written to an owner-only file, never printed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareEnvironment } from '../engine/environment.ts';
import { audience, testAudience } from '../env/embedded.ts';
import { EnvironmentError } from '../lib/errors.ts';
import { Redactor } from '../lib/redactor.ts';
import { removeAtExit } from '../lib/secret-files.ts';
import { environmentOptions } from './conform.ts';
import { waitForSignal } from './serve.ts';

export async function up(print: (line: string) => void, flags: { env?: string; rsReplicas?: number } = {}): Promise<void> {
  const where = environmentOptions(flags);
  const workDir = mkdtempSync(join(tmpdir(), 'tokenproof-up-'));
  const environment = await prepareEnvironment({ runDir: workDir, redactor: new Redactor(), log: print, ...where });
  const credentials = environment.credentials ?? {};
  let credentialsWritten: { remove(): void } | undefined;
  try {
    const testIssuer = environment.testIssuer;
    if (!testIssuer)
      throw new EnvironmentError('the embedded stack started without its harness test issuer', 'report this as a tokenproof bug');
    const credentialsFile = join(workDir, 'credentials.json');
    const { issuer, resourceServer, testResourceServer } = credentials;
    writeFileSync(
      credentialsFile,
      `${JSON.stringify(
        {
          issuer,
          resourceServer,
          clients: {
            primary: { id: 'primary', secret: credentials.TOKENPROOF_PRIMARY_SECRET, auth: 'client_secret_basic' },
            secondary: { id: 'secondary', secret: credentials.TOKENPROOF_SECONDARY_SECRET, auth: 'client_secret_basic' },
            spa: { id: 'spa', auth: 'none', redirectUri: 'http://127.0.0.1:9499/callback' },
          },
          user: { username: 'alice', password: credentials.TOKENPROOF_ALICE_PASSWORD },
          adminToken: credentials.TOKENPROOF_ADMIN_TOKEN,
        },
        null,
        2,
      )}\n`,
      { mode: 0o600 },
    );
    // Whole secrets of a stack that is about to stop: they go with it, also after a Ctrl-C.
    credentialsWritten = removeAtExit(credentialsFile);
    print('');
    print(`issuer            ${issuer}  (discovery: ${issuer}/.well-known/openid-configuration)`);
    print(`resource server   ${resourceServer}/protected  (audience ${audience}, trusts the issuer)`);
    print(`test issuer       ${testIssuer.url}  (the harness's forging issuer; JWKS ${testIssuer.jwksUri})`);
    print(`resource server   ${testResourceServer}/protected  (audience ${testAudience}, trusts the test issuer)`);
    const containers = environment.containers;
    if (containers) {
      for (const replica of containers.replicas.slice(1)) print(`resource server   ${replica}/protected  (another replica)`);
      print(
        `toxiproxy         ${containers.toxiproxy.url}  (proxies ${Object.keys(containers.toxiproxy.proxies).join(', ')}: RS -> issuer)`,
      );
      print(
        `containers        ${containers.containers.map((container) => container.name).join(' ')}  (network ${containers.network.name})`,
      );
    }
    print(
      `credentials       ${credentialsFile}  (client primary/secondary, public client spa, user alice, admin token; removed when the stack stops)`,
    );
    print(`logs              ${join(workDir, 'logs')}`);
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
    credentialsWritten?.remove();
    await environment.stop();
  }
}
