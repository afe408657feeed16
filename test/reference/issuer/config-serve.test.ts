/**
 * The reference issuer's YAML configuration (errors that name file, line and field; `${ENV}`
 * interpolation) and `tokenproof serve issuer` run as a real subprocess: ready line, a token
 * request against it, Ctrl-C, exit codes, and the demo credentials kept out of the output.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../harness/lib/errors.ts';
import { tokenRequest } from '../../../harness/oauth/client.ts';
import { loadIssuerConfig, parseIssuerConfig } from '../../../harness/reference/issuer/config.ts';
import { startIssuer } from '../../../harness/reference/issuer/server.ts';
import { claimsOf } from '../../support/issuer.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'tokenproof-config-test-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** A `${NAME}` reference as it appears in a YAML config. */
const envRef = (name: string) => `\${${name}}`;

function writeConfig(name: string, text: string): string {
  const file = join(workDir, name);
  writeFileSync(file, text);
  return file;
}

function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('the configuration loaded without an error');
}

describe('loadIssuerConfig', () => {
  it('loads a valid file with defaults filled in and environment references interpolated', () => {
    const secret = randomBytes(18).toString('base64url');
    process.env.TOKENPROOF_TEST_SVC_SECRET = secret;
    try {
      const file = writeConfig(
        'valid.yaml',
        [
          'tokens:',
          '  accessTokenTtl: 90s',
          'clients:',
          '  - id: svc',
          `    secret: "prefix-${envRef('TOKENPROOF_TEST_SVC_SECRET')}"`,
          '    scopes: [read]',
          '',
        ].join('\n'),
      );
      const config = parseIssuerConfig(loadIssuerConfig(file));
      expect(config.clients[0]!.secret).toBe(`prefix-${secret}`);
      expect(config.clients[0]!.auth).toBe('client_secret_basic');
      expect(config.tokens.accessTokenTtl).toBe(90_000);
      expect(config.signing.alg).toBe('RS256');
      expect(config.host).toBe('127.0.0.1');
    } finally {
      delete process.env.TOKENPROOF_TEST_SVC_SECRET;
    }
  });

  it('starts an issuer from a loaded config without converting its durations twice', async () => {
    const secret = randomBytes(18).toString('base64url');
    const file = writeConfig(
      'ttl.yaml',
      ['tokens:', '  accessTokenTtl: 90s', 'clients:', `  - { id: svc, secret: ${secret}, scopes: [read] }`, ''].join('\n'),
    );
    const issuer = await startIssuer(loadIssuerConfig(file));
    try {
      const answer = await tokenRequest(
        `${issuer.url}/token`,
        { grant_type: 'client_credentials' },
        { method: 'client_secret_basic', clientId: 'svc', secret },
      );
      expect(answer.status).toBe(200);
      expect(answer.body.expires_in).toBe(90);
      const claims = claimsOf(answer.body.access_token!);
      expect(Number(claims.exp) - Number(claims.iat)).toBe(90);
    } finally {
      await issuer.close();
    }
  });

  it('names the file, line, column and path of a mistyped field', () => {
    const file = writeConfig(
      'typo.yaml',
      ['clients:', '  - id: svc', '    secret: s3cret-value', '    scopess: [read]', ''].join('\n'),
    );
    const error = configError(() => loadIssuerConfig(file));
    expect(error.field).toBe('clients[0].scopess');
    expect(error.line).toBe(4);
    expect(error.column).toBe(5);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`${file}:4:5`);
    expect(error.message).toContain('clients[0].scopess');
  });

  it('names the field of a bad duration', () => {
    const file = writeConfig(
      'duration.yaml',
      ['tokens:', '  accessTokenTtl: 5 parsecs', 'clients:', '  - { id: svc, secret: s3cret-value }', ''].join('\n'),
    );
    const error = configError(() => loadIssuerConfig(file));
    expect(error.field).toBe('tokens.accessTokenTtl');
    expect(error.line).toBe(2);
    expect(error.message).toContain('5 parsecs');
  });

  it('names an unset environment variable, and never the values around it', () => {
    delete process.env.TOKENPROOF_TEST_UNSET_VARIABLE;
    const file = writeConfig(
      'env.yaml',
      ['clients:', '  - id: svc', `    secret: ${envRef('TOKENPROOF_TEST_UNSET_VARIABLE')}`, ''].join('\n'),
    );
    const error = configError(() => loadIssuerConfig(file));
    expect(error.message).toContain(envRef('TOKENPROOF_TEST_UNSET_VARIABLE'));
    expect(error.message).toContain(`${file}:3:`);
  });

  it('refuses a client that needs a secret and has none, naming the field', () => {
    const file = writeConfig('nosecret.yaml', ['clients:', '  - id: svc', '    auth: client_secret_post', ''].join('\n'));
    const error = configError(() => loadIssuerConfig(file));
    expect(error.field).toBe('clients[0].secret');
  });
});

interface CliRun {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  waitForLine(pattern: RegExp, deadlineMs?: number): Promise<RegExpExecArray>;
  exited(deadlineMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const child = spawn(process.execPath, ['harness/cli/main.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  running.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const withDeadline = <T>(promise: Promise<T>, deadlineMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${deadlineMs} ms waiting for ${what}; stderr: ${err.slice(0, 500)}`)),
        deadlineMs,
      );
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForLine(pattern, deadlineMs = 20_000) {
      const found = new Promise<RegExpExecArray>((resolve, reject) => {
        const look = () => {
          const match = pattern.exec(out);
          if (match) {
            child.stdout.off('data', look);
            child.off('exit', gone);
            resolve(match);
          }
        };
        const gone = () => reject(new Error(`exited before printing ${pattern}; stderr: ${err.slice(0, 500)}`));
        child.stdout.on('data', look);
        child.once('exit', gone);
        look();
      });
      return withDeadline(found, deadlineMs, `${pattern}`);
    },
    exited: (deadlineMs = 10_000) => withDeadline(exit, deadlineMs, 'the process to exit'),
  };
}

describe('tokenproof serve issuer (subprocess)', () => {
  it('serves a YAML config until Ctrl-C, then exits 0', async () => {
    const secret = randomBytes(18).toString('base64url');
    const file = writeConfig(
      'serve.yaml',
      [
        'tokens:',
        '  accessTokenTtl: 2m',
        'clients:',
        '  - id: svc',
        `    secret: ${envRef('TOKENPROOF_TEST_SERVE_SECRET')}`,
        '    scopes: [read, write]',
        '    grantTypes: [client_credentials]',
        '',
      ].join('\n'),
    );
    const cli = runCli(['serve', 'issuer', '--port', '0', '--config', file], { TOKENPROOF_TEST_SERVE_SECRET: secret });
    const [, url] = await cli.waitForLine(/^ready (http:\/\/127\.0\.0\.1:\d+)$/m);
    const answer = await tokenRequest(
      `${url}/token`,
      { grant_type: 'client_credentials', scope: 'read' },
      { method: 'client_secret_basic', clientId: 'svc', secret },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.expires_in).toBe(120);
    expect(claimsOf(answer.body.access_token!)).toMatchObject({ iss: url, client_id: 'svc', scope: 'read' });
    expect(cli.stdout()).not.toContain(secret);

    cli.child.kill('SIGINT');
    expect(await cli.exited()).toEqual({ code: 0, signal: null });
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('exits 2 naming the file when the config does not exist', async () => {
    const missing = join(workDir, 'missing.yaml');
    const cli = runCli(['serve', 'issuer', '--config', missing]);
    expect((await cli.exited(20_000)).code).toBe(2);
    expect(cli.stderr()).toContain(missing);
    expect(cli.stdout()).not.toMatch(/^ready /m);
  });

  it('exits 2 naming file, line and field for a mistyped field', async () => {
    const file = writeConfig(
      'serve-typo.yaml',
      ['clients:', '  - id: svc', '    secret: abc', '    scopess: [read]', ''].join('\n'),
    );
    const cli = runCli(['serve', 'issuer', '--config', file]);
    expect((await cli.exited(20_000)).code).toBe(2);
    expect(cli.stderr()).toContain(`${file}:4:5`);
    expect(cli.stderr()).toContain('clients[0].scopess');
  });

  it('with the demo config, prints where the credentials are but not the secrets', async () => {
    const cli = runCli(['serve', 'issuer', '--port', '0']);
    const [, url] = await cli.waitForLine(/^ready (http:\/\/127\.0\.0\.1:\d+)$/m);
    const [, credentialsFile] = /secrets in (\S+)/.exec(cli.stdout()) ?? [];
    expect(credentialsFile).toBeDefined();
    try {
      expect(statSync(credentialsFile!).mode & 0o777).toBe(0o600);
      const credentials = JSON.parse(readFileSync(credentialsFile!, 'utf8')) as {
        clientId: string;
        clientSecret: string;
        password: string;
      };
      expect(credentials.clientSecret.length).toBeGreaterThanOrEqual(24);
      expect(cli.stdout()).not.toContain(credentials.clientSecret);
      expect(cli.stdout()).not.toContain(credentials.password);
      expect(cli.stderr()).not.toContain(credentials.clientSecret);

      const answer = await tokenRequest(
        `${url}/token`,
        { grant_type: 'client_credentials', scope: 'read' },
        { method: 'client_secret_basic', clientId: credentials.clientId, secret: credentials.clientSecret },
      );
      expect(answer.status).toBe(200);
      expect(claimsOf(answer.body.access_token!).client_id).toBe(credentials.clientId);
    } finally {
      cli.child.kill('SIGINT');
      expect((await cli.exited()).code).toBe(0);
      if (credentialsFile?.startsWith(tmpdir())) rmSync(dirname(credentialsFile), { recursive: true, force: true });
    }
  });
});
