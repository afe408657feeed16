/**
 * `--find-capacity`: the highest arrival rate at which every SLO holds, nothing is wrongly
 * accepted and the target keeps up, found by doubling from the start rate until a step fails,
 * then bisecting between the last good and the first bad rate. Bounded by a time budget and a
 * precision; every step is one k6 run of the step duration, and the curve is kept for the report.
 */
import type { LoadJudgement, LoadMeasurement } from './run-load.ts';

export interface CapacityStep {
  rate: number;
  achievedRate: number;
  p95Ms: number | undefined;
  ok: boolean;
  /** Why the step failed: the SLOs or checks that did not hold. */
  failed: string[];
  /** Set when k6 could not keep the rate with VUs to spare: above this the generator, not the target, decides. */
  generatorLimited: boolean;
}

export interface CapacitySearchOptions {
  startRate: number;
  /** Stop once the bracket is narrower than this fraction of the good rate (default 0.1). */
  precision?: number;
  budgetMs: number;
  stepDurationMs: number;
  maxRate?: number;
}

export interface CapacityResult {
  /** Highest rate that met everything; 0 when even the start rate failed. */
  highestRate: number;
  curve: CapacityStep[];
  stoppedBecause: string;
}

export function stepOf(measurement: LoadMeasurement, judged: LoadJudgement): CapacityStep {
  const details = judged.details['load'] as { achievedRate: number; limit: string; latency: Record<string, { p95?: number }> };
  const p95s = Object.entries(details.latency)
    .filter(([key]) => !key.includes(' '))
    .map(([, value]) => value.p95)
    .filter((value) => value !== undefined);
  const failed = [
    ...judged.slo.filter((verdict) => !verdict.ok).map((verdict) => `${verdict.name} ${verdict.observed}`),
    ...judged.checks
      .filter((check) => check.outcome === 'fail' || check.outcome === 'error')
      .map((check) => `${check.catalog ?? check.id}`),
    ...(details.limit === 'target' ? ['the target could not keep up (iterations dropped, every VU busy)'] : []),
  ];
  return {
    rate: measurement.rate,
    achievedRate: details.achievedRate,
    p95Ms: p95s.length ? Math.max(...p95s) : undefined,
    ok: failed.length === 0 && details.limit !== 'generator',
    failed,
    generatorLimited: details.limit === 'generator',
  };
}

/** The search itself, over any step runner: pure control flow, unit-tested without k6. */
export async function searchCapacity(
  options: CapacitySearchOptions,
  runStep: (rate: number) => Promise<CapacityStep>,
  now: () => number = () => performance.now(),
): Promise<CapacityResult> {
  const started = now();
  const precision = options.precision ?? 0.1;
  const maxRate = options.maxRate ?? 100_000;
  const curve: CapacityStep[] = [];
  const overBudget = () => now() - started + options.stepDurationMs > options.budgetMs;
  let good = 0;
  let bad: number | undefined;
  let rate = Math.max(1, Math.round(options.startRate));
  let stoppedBecause = '';
  for (;;) {
    const step = await runStep(rate);
    curve.push(step);
    // A step that breaks an SLO is the target's verdict even if k6 also struggled; only a step
    // that held everything yet could not be driven at its rate ends the search on the generator.
    if (step.generatorLimited && step.failed.length === 0) {
      bad = rate;
      stoppedBecause = `the generator could not keep ${rate}/s on this machine: capacity above ${good}/s cannot be measured here`;
      break;
    }
    if (step.ok) good = rate;
    else bad = rate;
    if (bad === undefined) {
      if (rate >= maxRate) {
        stoppedBecause = `reached the search ceiling of ${maxRate}/s`;
        break;
      }
      rate = Math.min(maxRate, rate * 2);
    } else {
      if (good === 0 && bad <= 1) {
        stoppedBecause = 'even 1/s did not meet every SLO';
        break;
      }
      if (bad - good <= Math.max(1, good * precision)) {
        stoppedBecause = `bracketed between ${good}/s and ${bad}/s`;
        break;
      }
      rate = good === 0 ? Math.max(1, Math.floor(bad / 2)) : Math.round((good + bad) / 2);
    }
    if (overBudget()) {
      stoppedBecause = `time budget spent (${Math.round(options.budgetMs / 1000)} s)`;
      break;
    }
  }
  return { highestRate: good, curve, stoppedBecause };
}
