import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleReporter } from '../../harness/reporting/console.ts';
import { standardReporters } from '../../harness/reporting/index.ts';
import { jsonReporter } from '../../harness/reporting/json.ts';
import { pointLatest, writeReports } from '../../harness/reporting/write-run.ts';
import type { Reporter } from '../../harness/results/model.ts';
import { fixtureRunResult, fixtureSecretValues } from '../fixtures/run-result.ts';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'tokenproof-reports-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const quiet = () => standardReporters({ console: { stream: { write: () => true }, env: {} }, junit: { hostname: 'ci' } });

describe('writeReports', () => {
  it('writes every report into reports/<run-id>/ and points latest at it', async () => {
    const result = fixtureRunResult();
    const written = await writeReports(result, quiet(), base);
    expect(written.dir).toBe(join(base, result.runId));
    expect(written.files.map((file) => file.slice(written.dir.length + 1))).toEqual([
      'report.json',
      'junit.xml',
      'summary.md',
      'index.html',
      'metrics.prom',
    ]);
    expect((await readdir(written.dir)).sort()).toEqual(['index.html', 'junit.xml', 'metrics.prom', 'report.json', 'summary.md']);
    expect((await lstat(join(base, 'latest'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(base, 'latest'))).toBe(result.runId);
    expect(JSON.parse(await readFile(join(base, 'latest', 'report.json'), 'utf8')).runId).toBe(result.runId);
  });

  it('moves latest to the newest run and leaves no staging links behind', async () => {
    await writeReports(fixtureRunResult(), [jsonReporter()], base);
    const second = { ...fixtureRunResult(), runId: '2026-01-01T10-00-00Z-8b2c' };
    await writeReports(second, [jsonReporter()], base);
    expect(await readlink(join(base, 'latest'))).toBe(second.runId);
    expect((await readdir(base)).sort()).toEqual(['2026-01-01T09-00-00Z-7f3a', '2026-01-01T10-00-00Z-8b2c', 'latest']);
  });

  it('falls back to a copy when symlinks fail, and a later run replaces the copy with a link', async () => {
    const result = fixtureRunResult();
    await writeReports(result, [jsonReporter()], base);
    const refuse = async () => {
      throw Object.assign(new Error('EPERM: operation not permitted, symlink'), { code: 'EPERM' });
    };
    const copied = { ...fixtureRunResult(), runId: 'copied-run' };
    await writeReports(copied, [jsonReporter()], base);
    await pointLatest(base, copied.runId, refuse);
    const latest = await lstat(join(base, 'latest'));
    expect(latest.isDirectory() && !latest.isSymbolicLink()).toBe(true);
    expect(JSON.parse(await readFile(join(base, 'latest', 'report.json'), 'utf8')).runId).toBe('copied-run');

    await writeReports({ ...fixtureRunResult(), runId: 'linked-again' }, [jsonReporter()], base);
    expect(await readlink(join(base, 'latest'))).toBe('linked-again');
    expect((await readdir(base)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('writes every report for a run with no checks, no SLOs and no timeline', async () => {
    const { timeline: _timeline, ...rest } = fixtureRunResult();
    const empty = { ...rest, checks: [], slo: [], summary: { pass: 0, fail: 0, warn: 0, skip: 0, error: 0 } };
    const { files } = await writeReports(empty, quiet(), base);
    expect(files).toHaveLength(5);
    const read = (name: string) => readFile(join(base, empty.runId, name), 'utf8');
    expect(JSON.parse(await read('report.json'))).toMatchObject({ checks: [], slo: [], verdict: 'passed' });
    expect(await read('summary.md')).toMatch(/^## ✅ tokenproof passed: acme-idp\n\n\*\*0 checks\*\*\n/);
    expect(await read('index.html')).toContain('No checks ran in this run.');
    expect(await read('metrics.prom')).toContain('tokenproof_run_ok 1');
  });

  it('refuses a run id that is not one plain folder name', async () => {
    for (const runId of ['../escape', 'a/b', 'latest', '.hidden', '']) {
      await expect(writeReports({ ...fixtureRunResult(), runId }, [jsonReporter()], base), runId).rejects.toThrow(
        /cannot name a report folder/,
      );
    }
    expect(await readdir(base)).toEqual([]);
  });

  it('still writes the other reports and latest when one reporter fails, then reports the failure', async () => {
    const broken: Reporter = {
      name: 'broken',
      onEnd() {
        throw new Error('disk on fire');
      },
    };
    const result = fixtureRunResult();
    await expect(writeReports(result, [broken, jsonReporter()], base)).rejects.toThrow('disk on fire');
    expect(await readdir(join(base, result.runId))).toEqual(['report.json']);
    expect(await readlink(join(base, 'latest'))).toBe(result.runId);
  });
});

describe('redaction safety', () => {
  async function everythingWritten(result = fixtureRunResult()): Promise<string> {
    const consoleOut: string[] = [];
    const reporters = standardReporters({ console: false, junit: { hostname: 'ci' } });
    const live = consoleReporter({ stream: { write: (chunk: string) => consoleOut.push(chunk) }, env: {} });
    live.onBegin?.(
      result,
      result.checks.map(({ id, suite }) => ({ id, suite })),
    );
    for (const check of result.checks) live.onCheckEnd?.(check);
    const { files } = await writeReports(result, [...reporters, live], base);
    const contents = await Promise.all(files.map((file) => readFile(file, 'utf8')));
    return [...contents, consoleOut.join('')].join('\n');
  }

  function leaks(text: string): string[] {
    return fixtureSecretValues().filter((secret) => text.includes(secret));
  }

  it('no report and no console line contains a raw token, secret, password or signature', async () => {
    const text = await everythingWritten();
    expect(text).toContain('[signature redacted]'); // the evidence is there, in redacted form
    expect(text).toContain('Basic [client c1, secret redacted]');
    expect(leaks(text)).toEqual([]);
  });

  it('the scan finds a secret that does reach a report (control)', async () => {
    const result = fixtureRunResult();
    const [secret] = fixtureSecretValues();
    result.checks[0]!.evidence.notes.push(`oops: ${secret}`);
    expect(leaks(await everythingWritten(result))).toContain(secret);
  });
});
