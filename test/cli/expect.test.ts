/**
 * `--expect FILE` and `--strict-expect` end to end, as a subprocess against a deliberately
 * flawed issuer whose discovery offers the password grant (D07 warns) and advertises a
 * revocation endpoint that does not exist (D08, a MUST, fails). Plus the matching rules on
 * their own (applyExpectations) and every way an expectations file can be wrong (exit 2).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../harness/lib/errors.ts';
import { applyExpectations, parseExpectations } from '../../harness/results/expect.ts';
import type { CheckResult } from '../../harness/results/model.ts';
import { allSuites } from '../../suites/index.ts';
import { runCli } from '../support/cli.ts';
import { type FlawedIssuer, startFlawedIssuer } from '../support/flawed-issuer.ts';

const work = mkdtempSync(join(tmpdir(), 'tokenproof-expect-'));
const known = allSuites.flatMap((suite) => suite.checks);

function expectFile(name: string, text: string): string {
  const file = join(work, name);
  writeFileSync(file, text);
  return file;
}

/** The one run folder under `out` (besides latest) and its report.json. */
function runReports(out: string) {
  const dirs = readdirSync(out).filter((name) => name !== 'latest');
  expect(dirs).toHaveLength(1);
  const dir = join(out, dirs[0]!);
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return { dir, read, report: JSON.parse(read('report.json')) };
}

const byId = (report: { checks: CheckResult[] }, id: string) => report.checks.find((check) => check.id === id)!;

describe('tokenproof conform --expect (subprocess)', () => {
  let issuer: FlawedIssuer;
  let profile: string;

  beforeAll(async () => {
    issuer = await startFlawedIssuer([
      {
        path: (path) => path.startsWith('/.well-known/'),
        json: (body) => ({
          ...body,
          grant_types_supported: ['authorization_code', 'password'],
          revocation_endpoint: `${String(body.issuer)}/no-such-revoke`,
        }),
      },
    ]);
    profile = expectFile('target.yaml', `name: flawed\nissuer:\n  url: ${issuer.url}\n`);
  });
  afterAll(() => issuer.close());

  const conform = (out: string, ...args: string[]) =>
    runCli(['conform', '--target', profile, '--suites', 'discovery', '--out', join(work, out), ...args]);

  it('fails the run without a list: the flaws are real (the control)', async () => {
    const run = await conform('reports-none');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const { report } = runReports(join(work, 'reports-none'));
    expect(byId(report, 'discovery.no-legacy-grants').outcome).toBe('warn');
    expect(byId(report, 'discovery.endpoints-answer').outcome).toBe('fail');
    expect(report.checks.some((check: CheckResult) => check.expected)).toBe(false);
  });

  it('passes when every finding is listed, marks them expected and lists an entry that no longer happens as fixed', async () => {
    const file = expectFile(
      'known.yaml',
      `# known deviations of the flawed issuer
- check: D07
  outcome: warn
  reason: PASSWORD
  note: "IDP-231: password is removed in 5.0"
- check: discovery.endpoints-answer
  outcome: fail
  reason: revocation_endpoint
  note: IDP-17
- check: D05
  outcome: fail
  note: fixed in 4.2
- check: jwks.public-only
  outcome: fail
  note: not run under --suites discovery, so not judged
`,
    );
    const run = await conform('reports-known', '--expect', file);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { report, read } = runReports(join(work, 'reports-known'));
    expect(report.verdict).toBe('passed');
    expect(report.phases.map((phase: { name: string }) => phase.name)).toEqual(['conformance']);
    // Outcomes and counts stay what they were: expected is a mark, not a new outcome.
    expect(report.summary).toMatchObject({ fail: 1, warn: 2 }); // D07, and D03 (http on loopback)
    expect(byId(report, 'discovery.no-legacy-grants')).toMatchObject({
      outcome: 'warn',
      expected: { note: 'IDP-231: password is removed in 5.0' },
    });
    expect(byId(report, 'discovery.endpoints-answer')).toMatchObject({ outcome: 'fail', expected: { note: 'IDP-17' } });
    expect(byId(report, 'discovery.no-alg-none').expected).toBeUndefined();
    expect(report.fixed).toEqual([{ check: 'discovery.no-alg-none', outcome: 'fail', note: 'fixed in 4.2', observed: 'pass' }]);

    // Every report shows it: the expected findings with their notes, the fixed entry, the phase.
    const fixedText = 'discovery.no-alg-none: expected fail no longer happens, now pass — fixed — remove it from the list';
    expect(run.stdout).toMatch(/^▶ conformance phase$/m);
    expect(run.stdout).toMatch(/^■ conformance phase done · 8 checks · /m);
    expect(run.stdout).toContain('· expected: IDP-231: password is removed in 5.0');
    expect(run.stdout).toContain(fixedText);
    expect(run.stdout).toMatch(/^PASSED 8 checks: .*\(2 expected\) · 1 fixed/m);
    const junit = read('junit.xml');
    expect(junit).toMatch(/<testsuite name="discovery"[^>]* failures="0" errors="0"/);
    expect(junit).toMatch(/<testcase classname="discovery" name="discovery\.endpoints-answer: [^"]*" time="[\d.]+"\/>/);
    expect(junit).toContain('<property name="expected.discovery.endpoints-answer" value="expected fail: IDP-17');
    expect(junit).toContain(`<property name="fixed.discovery.no-alg-none" value="${fixedText}"/>`);
    const summary = read('summary.md');
    expect(summary.startsWith('## ✅ tokenproof passed')).toBe(true);
    expect(summary).toContain('| `discovery.endpoints-answer` | MUST | expected: IDP-17 |');
    expect(summary).toContain(fixedText);
    expect(summary).toMatch(/^Phases: conformance [\d.]+ m?s$/m);
    const html = read('index.html');
    expect(html).toContain(fixedText);
    expect(html).toContain('<tr data-phase="conformance">');
    const prom = read('metrics.prom');
    expect(prom).toMatch(/^tokenproof_checks_expected_total\{outcome="fail",suite="discovery",level="MUST"\} 1$/m);
    expect(prom).toMatch(/^tokenproof_expectations_fixed 1$/m);
    expect(prom).toMatch(/^tokenproof_run_ok 1$/m);
  });

  it('fails the run under --strict-expect when a listed finding no longer happens', async () => {
    const file = expectFile(
      'stale.yaml',
      '- { check: D07, outcome: warn }\n- { check: D08, outcome: fail }\n- { check: D05, outcome: fail, note: fixed in 4.2 }\n',
    );
    const run = await conform('reports-strict', '--expect', file, '--strict-expect');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const { report } = runReports(join(work, 'reports-strict'));
    expect(report.verdict).toBe('failed');
    expect(report.strictExpect).toBe(true);
    expect(report.fixed).toHaveLength(1);
    expect(byId(report, 'discovery.endpoints-answer').expected).toEqual({});
  });

  it('counts an unlisted finding as usual, and one whose reason does not match as unlisted', async () => {
    const file = expectFile(
      'partial.yaml',
      '- { check: D07, outcome: warn, note: known }\n- { check: D08, outcome: fail, reason: token_endpoint answered }\n',
    );
    const run = await conform('reports-partial', '--expect', file);
    expect(run.code).toBe(1);
    const { report } = runReports(join(work, 'reports-partial'));
    expect(byId(report, 'discovery.no-legacy-grants').expected).toEqual({ note: 'known' });
    expect(byId(report, 'discovery.endpoints-answer').expected).toBeUndefined();
    // The D08 entry did not happen as written (another endpoint failed), so it is reported too.
    expect(report.fixed).toEqual([
      { check: 'discovery.endpoints-answer', outcome: 'fail', reason: 'token_endpoint answered', observed: 'fail' },
    ]);
  });

  it('takes --expect on run as well, and both commands document it', async () => {
    for (const command of ['conform', 'run']) {
      const help = await runCli([command, '--help']);
      expect(help.stdout).toMatch(/--expect <file>/);
      expect(help.stdout).toMatch(/--strict-expect/);
    }
    const file = expectFile('run.yaml', '- { check: D07, outcome: warn }\n- { check: D08, outcome: fail }\n');
    const out = join(work, 'reports-run');
    const run = await runCli(['run', '--target', profile, '--suites', 'discovery', '--out', out, '--expect', file]);
    expect(run.code).toBe(0);
    expect(runReports(out).report.command).toBe('tokenproof run');
  });
});

describe('a wrong expectations file is exit 2 naming the file, line and field', () => {
  const refused = async (name: string, text: string) => {
    const file = expectFile(name, text);
    // Nothing is started: the file is checked before the environment.
    const run = await runCli(['conform', '--expect', file, '--out', join(work, `reports-${name}`)]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    return { file, stderr: run.stderr };
  };

  it('an outcome that is not fail, warn or error', async () => {
    const { file, stderr } = await refused('bad-outcome.yaml', '- check: D07\n  outcome: warn\n- check: D08\n  outcome: maybe\n');
    expect(stderr).toContain(`tokenproof: ${file}:4:12: field '[1].outcome' must be one of fail, warn, error`);
  });

  it('an unknown check', async () => {
    const { file, stderr } = await refused('unknown.yaml', '- check: D07\n  outcome: warn\n- check: D99\n  outcome: fail\n');
    expect(stderr).toContain(`${file}:3:10: field '[1].check' names no known check 'D99'`);
  });

  it('an unknown field, a missing field, a YAML error, a map instead of a list, a check listed twice', async () => {
    const typo = await refused('typo.yaml', '- check: D07\n  outcome: warn\n  notes: IDP-1\n');
    expect(typo.stderr).toContain(`${typo.file}:3:3: field '[0].notes' is not a known field`);
    const missing = await refused('missing.yaml', '- check: D07\n');
    expect(missing.stderr).toContain(`${missing.file}:1:3: field '[0].outcome' must be one of fail, warn, error`);
    const syntax = await refused('syntax.yaml', '- check: D07\n  outcome: [warn\n');
    expect(syntax.stderr).toMatch(new RegExp(`${syntax.file}:\\d+:\\d+: is not valid YAML`));
    const map = await refused('map.yaml', 'check: D07\noutcome: warn\n');
    expect(map.stderr).toContain(`${map.file}:1:1: must be a YAML list of entries`);
    const twice = await refused(
      'twice.yaml',
      '- { check: D07, outcome: warn }\n- { check: discovery.no-legacy-grants, outcome: fail }\n',
    );
    expect(twice.stderr).toContain("field '[1].check' lists discovery.no-legacy-grants a second time (entry [0] already does)");
  });

  it('--strict-expect without --expect, and a file that does not exist', async () => {
    const strict = await runCli(['conform', '--strict-expect']);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain('--strict-expect needs --expect FILE');
    const absent = await runCli(['conform', '--expect', join(work, 'absent.yaml')]);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain('absent.yaml: cannot be read (ENOENT)');
  });
});

describe('applyExpectations', () => {
  const result = (id: string, outcome: CheckResult['outcome'], reason: string): CheckResult => ({
    id,
    suite: id.split('.')[0]!,
    title: id,
    level: 'MUST',
    outcome,
    reason,
    spec: [],
    durationMs: 1,
    evidence: { exchanges: [], notes: [] },
  });
  const entries = parseExpectations(
    '- { check: D05, outcome: fail, reason: "token_endpoint_auth" }\n- { check: K02, outcome: error }\n',
    'inline.yaml',
    known,
  );

  it('resolves catalog codes to check ids', () => {
    expect(entries.map((entry) => entry.id)).toEqual(['discovery.no-alg-none', 'jwks.public-only']);
  });

  it('matches on check, outcome and reason text (case-insensitive), never on another outcome', () => {
    const { checks, fixed } = applyExpectations(entries, [
      result('discovery.no-alg-none', 'fail', "'none' in Token_Endpoint_Auth_signing_alg_values_supported"),
      result('jwks.public-only', 'fail', 'a private key is published'),
    ]);
    expect(checks.map((check) => check.expected)).toEqual([{}, undefined]);
    expect(fixed).toEqual([{ check: 'jwks.public-only', outcome: 'error', observed: 'fail' }]);
  });

  it('judges only the selected checks, and calls a selected check without a result "not run"', () => {
    expect(applyExpectations(entries, [], { selected: ['discovery.no-alg-none'] }).fixed).toEqual([
      { check: 'discovery.no-alg-none', outcome: 'fail', reason: 'token_endpoint_auth', observed: 'not run' },
    ]);
  });

  it('throws a ConfigError with the position for an unknown check', () => {
    expect(() => parseExpectations('- { check: nope.nope, outcome: fail }\n', 'x.yaml', known)).toThrow(ConfigError);
  });
});
