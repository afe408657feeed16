/**
 * `--baseline reports/<run>/report.json`: this run's load against an earlier one, so CI can gate
 * on regressions. p95 per operation may grow and throughput may fall by at most the tolerance.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../lib/errors.ts';
import type { SloVerdict } from '../results/model.ts';

export interface LoadFigures {
  scenario: string;
  achievedRate: number;
  latency: Record<string, { p95?: number | undefined }>;
}

/** The load figures in a report.json (its phases' `details.load`). */
export function readBaseline(file: string): LoadFigures {
  let report: { phases?: { name: string; details?: { load?: LoadFigures } }[] };
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--baseline ${file}: cannot read it as report.json (${(error as Error).message})`);
  }
  const load = report.phases?.find((phase) => phase.name === 'load')?.details?.load;
  if (!load || typeof load.achievedRate !== 'number' || typeof load.latency !== 'object')
    throw new UsageError(`--baseline ${file}: the report has no load phase results (run \`tokenproof load\` first)`);
  return load;
}

const operations = ['issuance', 'validation', 'introspection', 'refresh', 'revocation'];

/** One verdict per operation both runs measured (p95), and one for throughput. */
export function compareWithBaseline(current: LoadFigures, baseline: LoadFigures, tolerancePercent: number): SloVerdict[] {
  const verdicts: SloVerdict[] = [];
  const factor = tolerancePercent / 100;
  if (current.scenario !== baseline.scenario)
    verdicts.push({
      name: 'baseline scenario',
      threshold: `the baseline ran ${baseline.scenario}`,
      observed: `this run is ${current.scenario}: not comparable`,
      ok: false,
    });
  for (const op of operations) {
    const now = current.latency[op]?.p95;
    const before = baseline.latency[op]?.p95;
    if (now === undefined || before === undefined) continue;
    const limit = before * (1 + factor);
    verdicts.push({
      name: `baseline ${op} p95`,
      threshold: `≤ ${before.toFixed(2)} ms + ${tolerancePercent} % (${limit.toFixed(2)} ms)`,
      observed: `${now.toFixed(2)} ms (${now >= before ? '+' : ''}${(((now - before) / before) * 100).toFixed(1)} %)`,
      ok: now <= limit,
    });
  }
  const floor = baseline.achievedRate * (1 - factor);
  verdicts.push({
    name: 'baseline throughput',
    threshold: `≥ ${baseline.achievedRate.toFixed(1)} req/s − ${tolerancePercent} % (${floor.toFixed(1)} req/s)`,
    observed: `${current.achievedRate.toFixed(1)} req/s`,
    ok: current.achievedRate >= floor,
  });
  return verdicts;
}
