/** `tokenproof up`: the embedded stack for a person — URLs printed, secrets in a file, Ctrl-C stops it all and removes the file. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tokenRequest } from '../../harness/oauth/client.ts';
import { repoRoot } from '../../harness/tools/paths.ts';

describe('tokenproof up', () => {
  // Three servers start as processes: allow for a loaded 2-core machine.
  it('starts issuer, resource server and test issuer, prints no secret, and stops them on Ctrl-C', {
    timeout: 120_000,
  }, async () => {
    const child = spawn(process.execPath, [join(repoRoot, 'harness/cli/main.ts'), 'up'], { cwd: repoRoot });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const deadline = Date.now() + 90_000;
    while (!stdout.includes('ready; Ctrl-C') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stdout).toContain('ready; Ctrl-C stops everything');

    const issuer = /^issuer\s+(http:\S+)/m.exec(stdout)![1]!;
    const resourceServer = /^resource server\s+(http:\S+)/m.exec(stdout)![1]!;
    const testIssuer = /^test issuer\s+(http:\S+)/m.exec(stdout)![1]!;
    const credentialsFile = /^credentials\s+(\S+)/m.exec(stdout)![1]!;
    expect(statSync(credentialsFile).mode & 0o777).toBe(0o600);
    const credentials = JSON.parse(readFileSync(credentialsFile, 'utf8'));
    for (const secret of [credentials.clients.primary.secret, credentials.user.password, credentials.adminToken]) {
      expect(stdout).not.toContain(secret);
    }

    const token = await tokenRequest(
      `${issuer}/token`,
      { grant_type: 'client_credentials', resource: 'api://reference' },
      { method: 'client_secret_basic', clientId: 'primary', secret: credentials.clients.primary.secret },
    );
    expect(token.status).toBe(200);
    const protectedAnswer = await fetch(resourceServer, { headers: { authorization: `Bearer ${token.body.access_token}` } });
    expect(protectedAnswer.status).toBe(200);
    expect(await protectedAnswer.json()).toMatchObject({ client_id: 'primary' });
    expect((await fetch(`${testIssuer}/jwks`)).status).toBe(200);

    child.kill('SIGINT');
    expect(await closed).toBe(0);
    // The secrets of the stopped stack are not left on disk.
    expect(existsSync(credentialsFile)).toBe(false);
    for (const url of [issuer, resourceServer, testIssuer]) await expect(fetch(url)).rejects.toThrow();
  });
});
