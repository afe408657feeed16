/**
 * `tokenproof conform` end to end, as a subprocess: every exit path of DESIGN.md, every report
 * file, and redaction (no token or secret the run used appears in any report, log or output).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../harness/env/free-port.ts';
import { repoRoot } from '../../harness/tools/paths.ts';
import { allSuites } from '../../suites/index.ts';
import { cliMain as cli, runCli } from '../support/cli.ts';
import { type FlawedIssuer, startFlawedIssuer } from '../support/flawed-issuer.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

const work = mkdtempSync(join(tmpdir(), 'tokenproof-cli-'));
const reportFiles = ['report.json', 'junit.xml', 'summary.md', 'index.html', 'metrics.prom'];

describe('tokenproof conform (subprocess)', () => {
  let issuer: FlawedIssuer;
  const issuedTokens = new Set<string>();
  let profileFile: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    issuer = await startFlawedIssuer(
      [],
      {},
      {
        observe: (_path, body) => {
          const answer = body as Record<string, unknown>;
          for (const field of ['access_token', 'refresh_token', 'id_token']) {
            if (typeof answer[field] === 'string') issuedTokens.add(answer[field] as string);
          }
        },
      },
    );
    env = {
      TP_PRIMARY_SECRET: issuer.issuer.secrets.primary,
      TP_SECONDARY_SECRET: issuer.issuer.secrets.secondary,
      TP_ADMIN_TOKEN: issuer.issuer.secrets.admin,
    };
    profileFile = join(work, 'target.yaml');
    writeFileSync(
      profileFile,
      `name: cli test target
issuer:
  url: ${issuer.url}
  clients:
    primary: { id: primary, secret: "\${TP_PRIMARY_SECRET}", scopes: [read] }
    secondary: { id: secondary, secret: "\${TP_SECONDARY_SECRET}" }
  admin:
    rotateKeys:
      url: ${issuer.url}/admin/keys/rotate
      headers: { authorization: "Bearer \${TP_ADMIN_TOKEN}", content-type: application/json }
      body: '{"activateAfterSeconds":0}'
`,
    );
  });
  afterAll(() => issuer.close());

  it('exits 0 against a correct target, writes every report, and leaks no token or secret', async () => {
    const out = join(work, 'reports-ok');
    const run = await runCli(['conform', '--target', profileFile, '--out', out], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const catalogSize = allSuites.flatMap((suite) => suite.checks).length;
    expect(run.stdout).toContain(`${catalogSize} checks`);
    const runDirs = readdirSync(out).filter((name) => name !== 'latest');
    expect(runDirs).toHaveLength(1);
    const runDir = join(out, runDirs[0]!);
    for (const file of reportFiles) expect(statSync(join(runDir, file)).size).toBeGreaterThan(100);
    expect(readFileSync(join(out, 'latest', 'report.json'), 'utf8')).toBe(readFileSync(join(runDir, 'report.json'), 'utf8'));

    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
    expect(report.summary).toMatchObject({ fail: 0, error: 0 });
    expect(report.checks).toHaveLength(catalogSize);

    // Tokens were issued (K04, K05 ask for several) and the secrets were used: none may appear whole.
    expect(issuedTokens.size).toBeGreaterThan(2);
    const forbidden = [...Object.values(env), ...issuedTokens];
    const texts = [
      ...filesUnder(runDir).map((file) => ({ file, text: readFileSync(file, 'utf8') })),
      { file: 'stdout', text: run.stdout },
    ];
    for (const { file, text } of texts) {
      for (const secret of forbidden) expect(text.includes(secret), `${file} contains a secret or token`).toBe(false);
    }
    // The evidence still shows what was exchanged, in redacted form.
    expect(readFileSync(join(runDir, 'report.json'), 'utf8')).toMatch(/signature redacted|redacted/);
  });

  it('starts the harness test issuer and hands its URLs to a launched resource server', async () => {
    const port = await freePort();
    const script = join(work, 'rs.cjs');
    writeFileSync(
      script,
      `const http = require('node:http');
fetch(process.env.ISSUER + '/.well-known/openid-configuration').then((r) => r.json()).then((meta) => {
  console.log('trusting ' + meta.issuer + ' jwks ' + process.env.JWKS_URI);
  http.createServer((req, res) => res.end('ok')).listen(${port}, '127.0.0.1');
});`,
    );
    const file = join(work, 'with-rs.yaml');
    writeFileSync(
      file,
      `name: with rs
issuer:
  url: ${issuer.url}
resourceServer:
  url: http://127.0.0.1:${port}/protected
  audience: api://test
  launch:
    command: [${JSON.stringify(process.execPath)}, rs.cjs]
    env: { ISSUER: "{{testIssuer.url}}", JWKS_URI: "{{testIssuer.jwksUri}}" }
    ready: http://127.0.0.1:${port}/health
`,
    );
    const out = join(work, 'reports-rs');
    const run = await runCli(['conform', '--target', file, '--suites', 'discovery', '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const testIssuerUrl = /harness test issuer at (http:\/\/127\.0\.0\.1:\d+)/.exec(run.stdout)![1]!;
    const log = readFileSync(join(out, 'latest', 'logs', 'resourceServer.log'), 'utf8');
    expect(log).toContain(`trusting ${testIssuerUrl} jwks ${testIssuerUrl}/jwks`);
    // Stopped with the run: nothing listens on the resource server's port any more.
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('stops launched processes when interrupted with Ctrl-C', async () => {
    const pidFile = join(work, 'slow.pid');
    const file = join(work, 'slow.yaml');
    // A target that never becomes ready, so the run is still waiting when Ctrl-C arrives.
    writeFileSync(
      file,
      `name: slow
issuer:
  url: http://127.0.0.1:9
  launch:
    command: [${JSON.stringify(process.execPath)}, -e, "require('node:fs').writeFileSync(process.env.PID_FILE, String(process.pid)); setInterval(() => {}, 1000)"]
    env: { PID_FILE: ${JSON.stringify(pidFile)} }
    ready: http://127.0.0.1:9/never
    readyTimeout: 60s
`,
    );
    const child = spawn(process.execPath, [cli, 'conform', '--target', file, '--out', join(work, 'reports-int')], {
      cwd: repoRoot,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const deadline = Date.now() + 15_000;
    while (!existsSync(pidFile) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const launchedPid = Number(readFileSync(pidFile, 'utf8'));
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(stderr).toMatch(/interrupted, stopping launched processes/);
    const gone = Date.now() + 5000;
    let alive = true;
    while (alive && Date.now() < gone) {
      try {
        process.kill(launchedPid, 0);
        await new Promise((resolve) => setTimeout(resolve, 50));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  });

  it('exits 1 when a MUST check fails', async () => {
    const broken = await startFlawedIssuer([
      { path: '/jwks', json: (body) => ({ keys: (body.keys as object[]).map((key) => ({ ...key, d: 'AQAB' })) }) },
    ]);
    try {
      const file = join(work, 'broken.yaml');
      writeFileSync(file, `name: broken\nissuer:\n  url: ${broken.url}\n`);
      const run = await runCli(['conform', '--target', file, '--suites', 'jwks', '--out', join(work, 'reports-broken')]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/jwks\.public-only/);
      expect(run.stdout).toMatch(/FAILED/);
    } finally {
      await broken.close();
    }
  });

  it('exits 2 naming the file, line and field for a typo in the profile', async () => {
    const file = join(work, 'typo.yaml');
    writeFileSync(file, `name: typo\nissuer:\n  url: ${issuer.url}\n  capabilites: [introspection]\n`);
    const run = await runCli(['conform', '--target', file, '--out', join(work, 'reports-typo')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}:4:3`);
    expect(run.stderr).toContain("field 'issuer.capabilites' is not a known field");
  });

  it('exits 2 naming the variable when a secret is not in the environment', async () => {
    const { TP_SECONDARY_SECRET: _left, ...partial } = env;
    const run = await runCli(['conform', '--target', profileFile, '--out', join(work, 'reports-env')], partial);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${profileFile}:6:`);
    expect(run.stderr).toContain("field 'issuer.clients.secondary.secret'");
    expect(run.stderr).toContain('${TP_SECONDARY_SECRET}, which is not set');
  });

  it('exits 2 for an unknown suite or check', async () => {
    const suite = await runCli(['conform', '--suites', 'nope']);
    expect(suite.code).toBe(2);
    expect(suite.stderr).toMatch(/unknown suite 'nope'; suites: discovery, jwks/);
    const check = await runCli(['conform', '--checks', 'jwks.nope']);
    expect(check.code).toBe(2);
  });

  it('exits 3 naming the URL when the issuer is unreachable', async () => {
    const file = join(work, 'down.yaml');
    writeFileSync(file, 'name: down\nissuer:\n  url: http://127.0.0.1:9\n');
    const run = await runCli(['conform', '--target', file, '--out', join(work, 'reports-down')]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('http://127.0.0.1:9 is unreachable');
    expect(run.stderr).toMatch(/fix: /);
  });

  // The whole catalog against the whole stack (browser logins included): minutes on a loaded 2-core machine.
  it('exits 0 against the embedded reference stack and stops what it started', { timeout: 240_000 }, async () => {
    const run = await runCli(['conform', '--out', join(work, 'reports-embedded')]);
    expect(run.code, run.stdout.slice(-3000)).toBe(0);
    expect(run.stdout).toMatch(/starting the reference issuer on http:\/\/127\.0\.0\.1:(\d+)/);
    const port = /127\.0\.0\.1:(\d+)/.exec(run.stdout)![1];
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('lists suites and checks with their clauses', async () => {
    const run = await runCli(['list']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/K05 jwks\.rotation\s+MUST/);
    expect(run.stdout).toMatch(/RFC8414-3\.3/);
  });
});
