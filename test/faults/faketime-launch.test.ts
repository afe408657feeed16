/**
 * libfaketime wired into a profile's launched issuer during a chaos run: the real reference
 * issuer, started from `issuer.launch` under libfaketime, is the clock the chaos subject skews
 * (tokens it mints carry its moved clock, and the move is undone); a Go binary is spotted and
 * named, since libfaketime cannot move its clock.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type PreparedEnvironment, prepareEnvironment } from '../../harness/engine/environment.ts';
import { embeddedIssuerConfig } from '../../harness/env/embedded.ts';
import { freePort } from '../../harness/env/free-port.ts';
import { looksLikeGoBinary } from '../../harness/faults/faketime.ts';
import { Redactor } from '../../harness/lib/redactor.ts';
import { loadProfile } from '../../harness/profile/load.ts';
import { repoRoot } from '../../harness/tools/paths.ts';

const cli = join(repoRoot, 'harness', 'cli', 'main.ts');
let environment: PreparedEnvironment;

beforeAll(async () => {
  const work = mkdtempSync(join(tmpdir(), 'tokenproof-faketime-launch-'));
  const issuerPort = await freePort();
  const rsPort = await freePort();
  const issuerUrl = `http://127.0.0.1:${issuerPort}`;
  writeFileSync(join(work, 'issuer.yaml'), stringify(embeddedIssuerConfig(issuerPort)));
  const secrets = {
    TOKENPROOF_ADMIN_TOKEN: 'admin-token-for-faketime-test-0123456789',
    TOKENPROOF_PRIMARY_SECRET: 'primary-secret-for-faketime-test-012345',
    TOKENPROOF_SECONDARY_SECRET: 'secondary-secret-for-faketime-test-0123',
    TOKENPROOF_ALICE_PASSWORD: 'alice-password-for-faketime-test-01234',
  };
  const profile = {
    name: 'launched reference stack under libfaketime',
    issuer: {
      url: issuerUrl,
      clients: { primary: { id: 'primary', secret: secrets.TOKENPROOF_PRIMARY_SECRET } },
      launch: {
        command: [process.execPath, cli, 'serve', 'issuer', '--port', String(issuerPort), '--config', 'issuer.yaml'],
        env: secrets,
        ready: `${issuerUrl}/health`,
      },
    },
    resourceServer: {
      url: `http://127.0.0.1:${rsPort}/protected`,
      audience: 'api://reference',
      trusts: 'issuer',
      launch: {
        command: [
          process.execPath,
          cli,
          'serve',
          'resource-server',
          '--port',
          String(rsPort),
          '--issuer',
          issuerUrl,
          '--audience',
          'api://reference',
        ],
        ready: `http://127.0.0.1:${rsPort}/health`,
      },
    },
  };
  writeFileSync(join(work, 'profile.yaml'), stringify(profile));
  environment = await prepareEnvironment({
    runDir: join(work, 'run'),
    redactor: new Redactor(),
    profile: loadProfile(join(work, 'profile.yaml')),
    chaos: {},
  });
}, 120_000);

afterAll(async () => {
  await environment?.stop();
});

describe('libfaketime in a launched target during a chaos run', () => {
  it("skews the launched issuer's clock for the subject that trusts it, and restores it", async () => {
    const subject = await environment.chaos!.subjects.jwt!();
    expect(subject.skew?.mechanism).toMatch(/libfaketime/);
    const now = () => Math.floor(Date.now() / 1000);
    const atZero = await subject.skew!.mint();
    expect(Math.abs((atZero.iat ?? 0) - now())).toBeLessThanOrEqual(5);
    await subject.skew!.setOffset(120);
    const ahead = await subject.skew!.mint();
    expect(Math.abs((ahead.iat ?? 0) - now() - 120)).toBeLessThanOrEqual(5);
    await subject.skew!.setOffset(-120);
    const behind = await subject.skew!.mint();
    expect(Math.abs((behind.iat ?? 0) - now() + 120)).toBeLessThanOrEqual(5);
    await subject.skew!.setOffset(0);
    const back = await subject.skew!.mint();
    expect(Math.abs((back.iat ?? 0) - now())).toBeLessThanOrEqual(5);
    // The RS that trusts it accepts a fresh token at offset 0 (the launch under libfaketime works).
    const answer = await fetch(subject.resourceServer.url, { headers: { authorization: `Bearer ${back.token}` } });
    expect(answer.status).toBe(200);
  }, 60_000);

  it('spots a Go binary (libfaketime cannot move its clock) and not Node', () => {
    expect(looksLikeGoBinary(join(repoRoot, '.tools', 'bin', 'k6'))).toBe(true);
    expect(looksLikeGoBinary(process.execPath)).toBe(false);
    expect(looksLikeGoBinary('definitely-not-on-the-path-tokenproof')).toBe(false);
  });
});
