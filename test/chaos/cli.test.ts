/**
 * `tokenproof chaos --gameday scenarios/gamedays/run-default.yaml` as a user runs it, on a
 * toxiproxy it does not own: exit 0 against the embedded stack, the fault window in report.json,
 * and afterwards no proxy or toxic of the run left on that toxiproxy.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startToxiproxy, type ToxiproxyServer } from '../../harness/faults/toxiproxy.ts';
import type { RunResult } from '../../harness/results/model.ts';
import { repoRoot } from '../../harness/tools/paths.ts';
import { runCli } from '../support/cli.ts';

let external: ToxiproxyServer;
const dir = mkdtempSync(join(tmpdir(), 'tokenproof-chaos-cli-'));

beforeAll(async () => {
  external = await startToxiproxy({ logDir: dir });
});

afterAll(async () => {
  await external?.stop();
});

it('runs the game day, exits 0, reports the fault window and leaves the toxiproxy clean', async () => {
  const out = join(dir, 'reports');
  const run = await runCli([
    'chaos',
    '--gameday',
    join(repoRoot, 'scenarios', 'gamedays', 'run-default.yaml'),
    '--toxiproxy',
    external.url,
    '--out',
    out,
  ]);
  const { code } = run;
  const output = run.stdout + run.stderr;
  expect(code, output).toBe(0);
  const report = JSON.parse(readFileSync(join(out, 'latest', 'report.json'), 'utf8')) as RunResult;
  expect(report.timeline?.faults).toEqual([expect.objectContaining({ name: 'outage: outage on jwks' })]);
  expect(report.checks.filter((check) => check.suite === 'resilience').map((check) => [check.catalog, check.outcome])).toEqual([
    ['C01', 'pass'],
    ['C02', 'skip'],
    ['C03', 'skip'],
    ['C04', 'skip'],
    ['C05', 'skip'],
    ['C06', 'pass'],
    ['C07', 'pass'],
  ]);
  const proxies = (await (await fetch(`${external.url}/proxies`)).json()) as Record<string, unknown>;
  expect(proxies).toEqual({});
}, 150_000);
