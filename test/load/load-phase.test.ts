/**
 * The load phase end to end with the real k6 and real servers: reports with the per-second series
 * against the embedded stack, an impossible SLO that exits 1 naming it, and a resource server that
 * skips the signature check only when busy, which passes the rs-claims signature checks and the
 * same load at a low rate but fails L01 at a high one.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conformancePhase } from '../../harness/engine/conformance.ts';
import { loadPhase } from '../../harness/engine/load.ts';
import { executeRun } from '../../harness/engine/run.ts';
import { freePort } from '../../harness/env/free-port.ts';
import { loadProfile } from '../../harness/profile/load.ts';
import { jsonReporter } from '../../harness/reporting/index.ts';
import type { Reporter, RunResult } from '../../harness/results/model.ts';
import { selectChecks } from '../../harness/runner/run.ts';
import { repoRoot } from '../../harness/tools/paths.ts';
import { allSuites } from '../../suites/index.ts';
import { runCli } from '../support/cli.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

/** Three base64url segments starting like a JOSE header: what a whole JWT looks like. */
const wholeJwt = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/;

describe('tokenproof load against the embedded stack', () => {
  it('runs real k6, writes the series to every report, and exits 1 naming an impossible SLO', {
    timeout: 120_000,
  }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'tokenproof-load-'));
    const run = await runCli([
      'load',
      '--scenario',
      'issuance',
      '--duration',
      '6s',
      '--rate',
      '20',
      '--slo',
      'issuanceP95=0.001ms',
      '--out',
      out,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/SLO issuanceP95 BREACHED: p95 [\d.]+ m?s \(p95 < 0\.001 ms\)/);
    expect(run.stdout).toMatch(/load: [\d.]+ s \/ 6\.00 s · \d+ requests/); // the progress line

    const dir = join(out, readdirSync(out).find((name) => name !== 'latest')!);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunResult;
    // --slo overrides the embedded profile's own issuanceP95; its other SLOs still apply and hold.
    expect(report.slo).toContainEqual(expect.objectContaining({ name: 'issuanceP95', ok: false }));
    expect(report.slo.filter((verdict) => !verdict.ok).map((verdict) => verdict.name)).toEqual(['issuanceP95']);
    const names = report.timeline?.series.map((series) => series.name);
    expect(names).toEqual([
      'issuance: throughput',
      'issuance: p95 latency',
      'issuance: error rate',
      'issuance: wrongly accepted',
    ]);
    const throughput = report.timeline!.series[0]!;
    expect(throughput.points.length).toBeGreaterThanOrEqual(4);
    expect(throughput.points.reduce((sum, [, value]) => sum + value, 0)).toBeGreaterThan(60);
    const load = report.phases?.find((phase) => phase.name === 'load')?.details?.['load'] as Record<string, unknown>;
    expect(load).toMatchObject({ scenario: 'issuance', requestedRate: 20, droppedIterations: 0, limit: 'none' });
    expect(Object.keys(load['latency'] as object)).toContain('issuance client_secret_basic');
    expect(report.checks.map((check) => [check.id, check.outcome])).toEqual([
      ['load.wrongly-accepted', 'skip'],
      ['load.availability', 'pass'],
      ['load.generator-kept-rate', 'pass'],
    ]);

    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(/issuanceP95/);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('issuance: p95 latency');
    const metrics = readFileSync(join(dir, 'metrics.prom'), 'utf8');
    expect(metrics).toMatch(/tokenproof_slo_ok\{name="issuanceP95"\} 0/);
    expect(metrics).toMatch(/tokenproof_load_requests\{scenario="issuance"\} \d{2,}/);
    expect(metrics).toMatch(/tokenproof_load_latency_p95_seconds\{scenario="issuance",operation="issuance"\} 0\.\d+/);
    expect(metrics).toMatch(/tokenproof_load_wrongly_accepted\{scenario="issuance",kind="forged"\} 0/);
    const k6Summary = JSON.parse(readFileSync(join(dir, 'load', 'k6-summary.json'), 'utf8'));
    expect(k6Summary.metrics['http_req_duration{op:issuance}'].thresholds).toEqual({ 'p(95)<0.001': { ok: false } });
    for (const file of filesUnder(dir)) expect(readFileSync(file, 'utf8'), file).not.toMatch(wholeJwt);
  });
});

describe('tokenproof run includes a short load phase', () => {
  it('validates pool tokens against the embedded stack with the correctness counters in the report; --skip-load leaves it out', {
    timeout: 120_000,
  }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'tokenproof-run-load-'));
    // --skip-chaos: the game day is another phase's business.
    const run = await runCli(['run', '--suites', 'discovery', '--skip-chaos', '--out', join(out, 'with')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'with', 'latest', 'report.json'), 'utf8')) as RunResult;
    expect(report.phases?.map((phase) => phase.name)).toEqual(['conformance', 'load']);
    const l01 = report.checks.find((check) => check.catalog === 'L01');
    expect(l01?.outcome).toBe('pass');
    const load = report.phases?.[1]?.details?.['load'] as {
      scenario: string;
      correctness: { sent: Record<string, number>; wronglyAccepted: Record<string, number> };
    };
    expect(load.scenario).toBe('validation');
    // Every invalid kind was sent: expired and forged to the RS that trusts the test issuer,
    // revoked ones to the RS that trusts the reference issuer (the profile's propagation block).
    for (const kind of ['valid', 'expired', 'forged', 'revoked']) expect(load.correctness.sent[kind], kind).toBeGreaterThan(0);
    expect(load.correctness.wronglyAccepted).toEqual({ expired: 0, forged: 0, revoked: 0 });

    const skipped = await runCli(['run', '--suites', 'discovery', '--skip-load', '--skip-chaos', '--out', join(out, 'without')]);
    expect(skipped.code).toBe(0);
    const without = JSON.parse(readFileSync(join(out, 'without', 'latest', 'report.json'), 'utf8')) as RunResult;
    expect(without.phases?.map((phase) => phase.name)).toEqual(['conformance']);
  });
});

describe('a resource server that skips the signature check only when busy', () => {
  it('passes the rs-claims signature checks and a slow load, and fails L01 under a fast one', {
    timeout: 180_000,
  }, async () => {
    const work = mkdtempSync(join(tmpdir(), 'tokenproof-busy-rs-'));
    const port = await freePort();
    const profileFile = join(work, 'busy-rs.yaml');
    writeFileSync(
      profileFile,
      [
        'name: busy resource server',
        'resourceServer:',
        `  url: http://127.0.0.1:${port}/protected`,
        '  audience: api://busy',
        '  trusts: harness',
        '  launch:',
        `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(join(repoRoot, 'test', 'support', 'busy-rs.ts'))}]`,
        '    env:',
        `      PORT: "${port}"`,
        '      ISSUER: "{{testIssuer.url}}"',
        '      JWKS_URI: "{{testIssuer.jwksUri}}"',
        '      AUDIENCE: api://busy',
        '      BUSY_RATE: "100"',
        `    ready: http://127.0.0.1:${port}/health`,
        '',
      ].join('\n'),
    );
    // The signature and algorithm checks of rs-claims (S01-S07).
    const signatureChecks = selectChecks(allSuites, { checks: ['S01', 'S02', 'S03', 'S04', 'S05', 'S06', 'S07'] });
    expect(signatureChecks.length).toBeGreaterThanOrEqual(7);
    const reporters: Reporter[] = [jsonReporter()];
    const slow = { scenario: 'validation', durationMs: 4000, rate: 20, shares: { expired: 0.05, forged: 0.1, revoked: 0 } };
    const outcome = await executeRun({
      command: 'test',
      version: 'test',
      profile: loadProfile(profileFile),
      phases: [conformancePhase(signatureChecks), loadPhase(slow), loadPhase({ ...slow, durationMs: 6000, rate: 250 })],
      reporters,
      out: join(work, 'reports'),
      log: () => {},
    });
    const conformance = outcome.result.checks.filter((check) => check.phase !== 'load');
    expect(conformance.map((check) => [check.catalog, check.outcome])).toEqual(
      signatureChecks.map((check) => [check.catalog, 'pass']),
    );
    const l01 = outcome.result.checks.filter((check) => check.catalog === 'L01');
    expect(l01.map((check) => check.outcome)).toEqual(['pass', 'fail']);
    expect(l01[1]?.reason).toMatch(/accepted \d+ tokens? it must refuse \(0 of \d+ expired, [1-9]\d* of \d+ forged/);
    expect(outcome.exitCode).toBe(1);
  });
});
