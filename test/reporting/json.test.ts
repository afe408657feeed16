import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonReporter, toReportJson } from '../../harness/reporting/json.ts';
import { fixtureRunResult, fixtureWithExpectations } from '../fixtures/run-result.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokenproof-json-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('report.json', () => {
  it('leads with the stable core, in order, with the documented field names', async () => {
    const result = fixtureRunResult();
    const [file] = await jsonReporter().onEnd(result, dir);
    expect(file).toBe(join(dir, 'report.json'));
    const report = JSON.parse(await readFile(file!, 'utf8'));

    expect(Object.keys(report).slice(0, 7)).toEqual(['tool', 'target', 'startedAt', 'durationMs', 'summary', 'checks', 'slo']);
    expect(report.tool).toEqual({ name: 'tokenproof', version: '0.1.0' });
    expect(report.target.name).toBe('acme-idp');
    expect(report.startedAt).toBe('2026-01-01T09:00:00.000Z');
    expect(report.durationMs).toBe(64_212);
    expect(report.summary).toEqual({ pass: 10, fail: 2, warn: 3, skip: 3, error: 1 });
    expect(report.checks).toHaveLength(19);
    const failed = report.checks.find((check: { id: string }) => check.id === 'refresh.reuse-revokes-family');
    expect(Object.keys(failed).slice(0, 8)).toEqual(['id', 'suite', 'title', 'level', 'outcome', 'reason', 'spec', 'durationMs']);
    expect(failed).toMatchObject({
      suite: 'refresh',
      level: 'MUST',
      outcome: 'fail',
      reason: 'the active refresh token still works after its predecessor was replayed',
      spec: ['RFC9700-4.14.2'],
      durationMs: 341.9,
    });
    expect(report.slo[1]).toEqual({ name: 'issuanceP95', threshold: '300ms', observed: '412ms', ok: false });
  });

  it('carries everything else: evidence, run id, command, suites, timeline, verdict', () => {
    const result = fixtureRunResult();
    const report = toReportJson(result);
    expect(report.runId).toBe(result.runId);
    expect(report.command).toBe(result.command);
    expect(report.suites).toEqual(result.suites);
    expect(report.timeline).toEqual(result.timeline);
    expect(report.verdict).toBe('failed');
    expect(report.schemaVersion).toBe(1);
    expect(report.checks.find((check) => check.id === 'refresh.reuse-revokes-family')?.evidence.exchanges).toHaveLength(4);
  });

  it('passes through fields added to the result later, without a change to the reporter', () => {
    const result = { ...fixtureRunResult(), load: { scenario: 'issuance', iterations: 1200 } };
    expect((toReportJson(result) as Record<string, unknown>)['load']).toEqual({ scenario: 'issuance', iterations: 1200 });
  });

  it('says passed when no MUST failed, nothing errored and every SLO held', () => {
    const result = fixtureRunResult();
    result.checks = result.checks.filter((check) => check.outcome !== 'fail' && check.outcome !== 'error');
    result.summary = { ...result.summary, fail: 0, error: 0 };
    result.slo = [];
    expect(toReportJson(result).verdict).toBe('passed');
  });

  it('carries the phases, the expected marks and the fixed entries, and keeps the stable core as it was', () => {
    const plain = toReportJson(fixtureRunResult());
    const report = toReportJson(fixtureWithExpectations());
    expect(Object.keys(report).slice(0, 7)).toEqual(['tool', 'target', 'startedAt', 'durationMs', 'summary', 'checks', 'slo']);
    // Expected findings keep their outcome: the counts are the same as without the list.
    expect(report.summary).toEqual(plain.summary);
    expect(report.phases?.map((phase) => [phase.name, phase.startMs, phase.durationMs])).toEqual([
      ['conformance', 0, 9_750],
      ['load', 9_750, 30_000],
      ['chaos', 39_750, 24_462],
    ]);
    const reuse = report.checks.find((check) => check.id === 'refresh.reuse-revokes-family')!;
    expect(Object.keys(reuse).slice(0, 8)).toEqual(['id', 'suite', 'title', 'level', 'outcome', 'reason', 'spec', 'durationMs']);
    expect(reuse).toMatchObject({ outcome: 'fail', expected: { note: 'IDP-231: family revocation ships in 5.0' } });
    expect(report.fixed).toEqual([{ check: 'discovery.pkce-s256', outcome: 'warn', note: 'IDP-12', observed: 'pass' }]);
    // Unlisted failures still fail the run; with only expected failures left it passes, unless a stale entry is strict.
    expect(report.verdict).toBe('failed');
    expect(toReportJson(fixtureWithExpectations({ onlyExpectedFailures: true })).verdict).toBe('passed');
    const strict = toReportJson(fixtureWithExpectations({ onlyExpectedFailures: true, strict: true }));
    expect(strict).toMatchObject({ verdict: 'failed', strictExpect: true });
  });
});
