import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { conformancePhase } from '../../harness/engine/conformance.ts';
import { executeRun } from '../../harness/engine/run.ts';
import { pollUntil } from '../../harness/lib/poll.ts';
import { Redactor } from '../../harness/lib/redactor.ts';
import { standardReporters } from '../../harness/reporting/index.ts';
import { selectChecks } from '../../harness/runner/run.ts';
import { allSuites } from '../../suites/index.ts';

const jwt = `${Buffer.from('{"alg":"RS256","typ":"at+jwt"}').toString('base64url')}.${Buffer.from('{"sub":"alice"}').toString('base64url')}.c2lnbmF0dXJlLWJ5dGVzLXRoYXQtbXVzdC1ub3Qtc2hvdw`;
const signature = jwt.split('.')[2]!;

describe('Redactor', () => {
  it('scrubs registered secrets wherever they appear', () => {
    const redactor = new Redactor();
    redactor.register('opaque-refresh-token-0123456789');
    const text = redactor.scrub('got opaque-refresh-token-0123456789 twice: opaque-refresh-token-0123456789');
    expect(text).not.toContain('opaque-refresh-token-0123456789');
    expect(text).toContain('opaque…[redacted 31 chars]');
  });

  it('never shows a JWS signature, registered or not, but keeps header and claims', () => {
    const text = new Redactor().scrub(`token=${jwt}`);
    expect(text).not.toContain(signature);
    expect(text).toContain(`${jwt.split('.')[0]}.${jwt.split('.')[1]}.[signature redacted]`);
  });

  it('masks credentials in headers: Basic keeps only the client id', () => {
    const redactor = new Redactor();
    const basic = `Basic ${Buffer.from('client-a:very-secret-password').toString('base64')}`;
    expect(redactor.header('Authorization', basic)).toBe('Basic [client client-a, secret redacted]');
    expect(redactor.header('authorization', `Bearer ${jwt}`)).not.toContain(signature);
    expect(redactor.header('authorization', 'Bearer opaque-access-token-value')).toBe('Bearer opaque…[redacted 25 chars]');
    expect(redactor.header('DPoP', jwt)).not.toContain(signature);
    expect(redactor.header('cookie', 'session=abc')).toBe('[redacted]');
    expect(redactor.header('content-type', 'application/json')).toBe('application/json');
  });

  it('masks secret fields of form and JSON bodies, at any depth', () => {
    const redactor = new Redactor();
    const form = redactor.body(
      'grant_type=password&username=alice&password=hunter2hunter2&client_secret=shh-shh-shh',
      'application/x-www-form-urlencoded',
    );
    expect(form).toContain('grant_type=password');
    expect(form).toContain('username=alice');
    expect(form).not.toContain('hunter2hunter2');
    expect(form).not.toContain('shh-shh-shh');
    const json = redactor.body(
      JSON.stringify({ access_token: jwt, nested: [{ refresh_token: 'refresh-token-value-xyz' }], scope: 'read' }),
      'application/json',
    );
    expect(json).not.toContain(signature);
    expect(json).not.toContain('refresh-token-value-xyz');
    expect(JSON.parse(json).scope).toBe('read');
  });

  it('truncates long free-text bodies', () => {
    const body = new Redactor().body('x'.repeat(10_000), 'text/plain');
    expect(body.length).toBeLessThan(4200);
    expect(body).toContain('[10000 bytes]');
  });
});

/**
 * A real run of the embedded stack (the engine in-process, the reference servers as the
 * processes it launches): its report keeps ordinary headers readable while no secret of the stack
 * and no token it issued appears whole. The stack's secrets are read from the launched issuer's
 * environment (/proc/<pid>/environ), where the harness put them; the issued tokens are every value
 * the run registered with its redactor.
 */
describe('redaction in a real embedded-stack run', () => {
  const issuerEnvironment = (port: string): Record<string, string> | undefined => {
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        if (!(argv.includes('serve') && argv.includes('issuer') && argv[argv.indexOf('--port') + 1] === port)) continue;
        const pairs = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
        return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
      } catch {
        // the process ended or is not ours to read: not the issuer
      }
    }
    return undefined;
  };

  it('shows content-type and cache-control as they are, and never a client secret, the admin token, the password or an issued token', {
    timeout: 120_000,
  }, async () => {
    const registered = new Set<string>();
    const original = Redactor.prototype.register;
    const spy = vi.spyOn(Redactor.prototype, 'register').mockImplementation(function (this: Redactor, value) {
      // Values under 8 characters are too common to scrub (the redactor ignores them by design: a user name).
      if (value && value.length >= 8) registered.add(value);
      return original.call(this, value);
    });
    const out = mkdtempSync(join(tmpdir(), 'tokenproof-redaction-'));
    const logs: string[] = [];
    let issuerPort: string | undefined;
    const run = executeRun({
      command: 'tokenproof conform',
      version: 'test',
      phases: [conformancePhase(selectChecks(allSuites, { suites: ['discovery', 'jwks', 'revocation'] }))],
      reporters: standardReporters({ console: false }),
      out,
      log: (line) => {
        logs.push(line);
        issuerPort ??= /starting the reference issuer on http:\/\/127\.0\.0\.1:(\d+)/.exec(line)?.[1];
      },
    });
    const found = await pollUntil(async () => (issuerPort ? issuerEnvironment(issuerPort) : undefined), {
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    const secrets = found.value;
    const outcome = await run;
    spy.mockRestore();
    expect(outcome.exitCode).toBe(0);
    expect(secrets, `no issuer process found (log: ${logs.join(' | ')})`).toBeDefined();
    const stackSecrets = Object.entries(secrets!).filter(([name]) => name.startsWith('TOKENPROOF_'));
    expect(stackSecrets.map(([name]) => name).sort()).toEqual([
      'TOKENPROOF_ADMIN_TOKEN',
      'TOKENPROOF_ALICE_PASSWORD',
      'TOKENPROOF_PRIMARY_SECRET',
      'TOKENPROOF_SECONDARY_SECRET',
    ]);
    // An unsigned JWS the harness made up (a garbage token for revocation) is no secret: anyone can write one.
    const unsigned = (value: string) => value.split('.').length === 3 && value.endsWith('.');
    const tokens = [...registered].filter(
      (value) => !unsigned(value) && !stackSecrets.some(([, secret]) => value.includes(secret)),
    );
    expect(tokens.filter((token) => token.split('.').length === 3).length, 'JWT access tokens were issued').toBeGreaterThan(2);

    const reportText = readFileSync(join(outcome.reportsDir, 'report.json'), 'utf8');
    for (const file of ['report.json', 'junit.xml', 'summary.md', 'index.html']) {
      const text = readFileSync(join(outcome.reportsDir, file), 'utf8');
      for (const [name, secret] of stackSecrets) expect(text.includes(secret), `${file} shows ${name}`).toBe(false);
      for (const token of tokens)
        expect(text.includes(token), `${file} shows a token (${token.slice(0, 6)}…, ${token.length} chars)`).toBe(false);
      // Not even an unregistered JWS keeps its signature.
      expect(text).not.toMatch(/eyJ[\w-]{10,}\.eyJ[\w-]*\.[\w-]{20,}/);
    }

    const report = JSON.parse(reportText) as {
      checks: {
        evidence: {
          exchanges: { request: { headers: Record<string, string> }; response?: { headers: Record<string, string> } }[];
        };
      }[];
    };
    const headers = report.checks.flatMap((check) =>
      check.evidence.exchanges.flatMap((exchange) => [exchange.request.headers, exchange.response?.headers ?? {}]),
    );
    const values = (name: string) => new Set(headers.map((set) => set[name]).filter((value) => value !== undefined));
    expect(values('content-type')).toContain('application/json');
    expect(values('content-type')).toContain('application/x-www-form-urlencoded');
    expect(values('cache-control')).toContain('no-store');
    expect(reportText).not.toMatch(/applic…\[redacted/);
    // The credentials themselves are shown masked, not dropped: the reader still sees who called how.
    expect(values('authorization')).toContain('Basic [client primary, secret redacted]');
  });
});
