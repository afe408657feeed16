/**
 * The load phase (DESIGN.md "Load"): the real k6 on a scenario from scenarios/, against the
 * prepared environment, with the profile's SLOs as thresholds and the correctness counters of
 * CHECKS.md L01-L03 as checks. With a capacity search it runs one short k6 step per rate; with a
 * baseline it adds regression verdicts against an earlier report.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TokenproofError, UsageError } from '../lib/errors.ts';
import { compareWithBaseline, type LoadFigures, readBaseline } from '../load/baseline.ts';
import { type CapacityResult, searchCapacity, stepOf } from '../load/capacity.ts';
import {
  judgeLoad,
  type LoadContext,
  type LoadJudgement,
  type LoadRequest,
  measureLoad,
  type PreparedLoad,
  prepareLoad,
} from '../load/run-load.ts';
import type { CheckResult, SloVerdict, TimelineSeries } from '../results/model.ts';
import type { Phase, PhaseContext, PhaseOutput } from './phase.ts';

export interface LoadPhaseOptions extends LoadRequest {
  /** Search the highest rate that meets every SLO instead of one run at `rate`. */
  findCapacity?: { budgetMs: number; stepDurationMs: number; maxRate?: number };
  /** A report.json whose load figures this run must not regress from. */
  baseline?: string;
  /** How far p95 may grow and throughput fall against the baseline, in percent (default 10). */
  baselineTolerancePercent?: number;
}

/** The quick load phase `tokenproof run` includes by default: about 12 s at a rate any target should serve. */
export const defaultRunLoad: Pick<LoadPhaseOptions, 'durationMs' | 'rate'> = { durationMs: 12_000, rate: 30 };

/**
 * `tokenproof run`'s load phase: the validation scenario when the profile has a resource server
 * (the correctness counters matter most there), else issuance. A target it cannot load is an
 * error result naming why, never a silent pass.
 */
export function defaultLoadPhase(): Phase {
  return {
    name: 'load',
    async run(context) {
      const profile = context.environment.target.profile;
      const scenario = profile.resourceServer ? 'validation' : 'issuance';
      try {
        return await loadPhase({ scenario, ...defaultRunLoad }).run(context);
      } catch (error) {
        if (!(error instanceof TokenproofError)) throw error;
        // A profile that describes nothing to load (no client, no resource server) is not
        // applicable, as a missing capability is; a target that broke under load is an error.
        const notApplicable = error instanceof UsageError;
        const check: CheckResult = {
          id: 'load.ran',
          suite: 'load',
          title: 'The load phase ran',
          level: 'MUST',
          outcome: notApplicable ? 'skip' : 'error',
          reason: context.redactor.scrub(notApplicable ? error.message : `the ${scenario} load could not run: ${error.message}`),
          spec: [],
          durationMs: 0,
          evidence: { exchanges: [], notes: [] },
          phase: 'load',
        };
        for (const reporter of context.reporters) await reporter.onCheckEnd?.(check);
        return { checks: [check] };
      }
    },
  };
}

export function loadPhase(options: LoadPhaseOptions): Phase {
  // Read before anything starts: a bad --baseline is a usage error, not a failed run.
  const baseline = options.baseline ? readBaseline(options.baseline) : undefined;
  return {
    name: 'load',
    async run(context) {
      const loadContext: LoadContext = {
        log: (line) => context.log(context.redactor.scrub(line)),
        signal: context.signal,
        runStartedAt: context.runStartedAt,
      };
      const prepared = await prepareLoad(context.environment, options, loadContext);
      try {
        const output = options.findCapacity
          ? await capacityRun(prepared, options, loadContext)
          : await singleRun(prepared, options, loadContext, context);
        if (baseline) output.slo = [...(output.slo ?? []), ...baselineVerdicts(output, baseline, options)];
        for (const check of output.checks) for (const reporter of context.reporters) await reporter.onCheckEnd?.(check);
        return output;
      } finally {
        prepared.cleanup();
      }
    },
  };
}

async function singleRun(
  prepared: PreparedLoad,
  options: LoadPhaseOptions,
  loadContext: LoadContext,
  context: PhaseContext,
): Promise<PhaseOutput> {
  const measurement = await measureLoad(
    prepared,
    {
      rate: options.rate,
      durationMs: options.durationMs,
      ...(options.prometheusRemoteWrite && { prometheusRemoteWrite: options.prometheusRemoteWrite }),
    },
    loadContext,
  );
  const judged = judgeLoad(prepared, measurement);
  // k6's own summary beside the reports: names, tags and numbers only (the scripts log no token).
  const loadDir = join(context.runDir, 'load');
  mkdirSync(loadDir, { recursive: true });
  writeFileSync(join(loadDir, 'k6-summary.json'), context.redactor.scrub(JSON.stringify(measurement.summary, null, 2)));
  logVerdicts(judged, loadContext);
  return { checks: judged.checks, slo: judged.slo, timeline: judged.timeline, details: judged.details };
}

function logVerdicts(judged: LoadJudgement, loadContext: LoadContext): void {
  const load = judged.details['load'] as { requests: number; achievedRate: number };
  loadContext.log(`load: ${load.requests} requests, ${load.achievedRate.toFixed(1)} req/s`);
  for (const verdict of judged.slo)
    loadContext.log(`load: SLO ${verdict.name} ${verdict.ok ? 'held' : 'BREACHED'}: ${verdict.observed} (${verdict.threshold})`);
}

async function capacityRun(prepared: PreparedLoad, options: LoadPhaseOptions, loadContext: LoadContext): Promise<PhaseOutput> {
  const search = options.findCapacity!;
  const judgements: LoadJudgement[] = [];
  const result: CapacityResult = await searchCapacity(
    {
      startRate: options.rate,
      budgetMs: search.budgetMs,
      stepDurationMs: search.stepDurationMs,
      ...(search.maxRate !== undefined && { maxRate: search.maxRate }),
    },
    async (rate) => {
      const measurement = await measureLoad(prepared, { rate, durationMs: search.stepDurationMs, quiet: true }, loadContext);
      const judged = judgeLoad(prepared, measurement);
      judgements.push(judged);
      const step = stepOf(measurement, judged);
      loadContext.log(
        `load: capacity step ${rate}/s → ${step.achievedRate.toFixed(1)} req/s, p95 ${step.p95Ms?.toFixed(1) ?? '–'} ms: ${step.ok ? 'ok' : `failed (${step.failed.join('; ') || 'generator limit'})`}`,
      );
      return step;
    },
  );
  loadContext.log(`load: capacity ${result.highestRate}/s (${result.stoppedBecause})`);
  // L01 over every step: a token wrongly accepted at any rate fails the run.
  const wrongly = judgements.flatMap((judged) => judged.checks.filter((check) => check.catalog === 'L01'));
  const l01 =
    wrongly.find((check) => check.outcome === 'fail') ?? wrongly.find((check) => check.outcome === 'pass') ?? wrongly[0];
  const best = judgements[result.curve.findIndex((step) => step.rate === result.highestRate)];
  const checks: CheckResult[] = [...(l01 ? [l01] : []), ...(best?.checks.filter((check) => check.catalog !== 'L01') ?? [])];
  const slo: SloVerdict[] = [
    {
      name: 'capacity',
      threshold: 'the highest arrival rate meeting every SLO',
      observed: `${result.highestRate}/s (${result.stoppedBecause})`,
      ok: result.highestRate > 0,
    },
  ];
  const series: TimelineSeries[] = mergeSeries(judgements);
  const curve: TimelineSeries = {
    name: `${prepared.scenario.name}: capacity steps (requested rate)`,
    unit: 'req/s',
    points: judgements.map((judged, index) => {
      const first = judged.timeline.series[0]?.points[0]?.[0] ?? 0;
      return [first, result.curve[index]?.rate ?? 0];
    }),
  };
  return {
    checks,
    slo,
    timeline: { series: [...series, curve], faults: [] },
    details: {
      ...(best?.details ?? {}),
      capacity: { highestRate: result.highestRate, stoppedBecause: result.stoppedBecause, curve: result.curve },
    },
  };
}

/** The steps ran one after another, so their per-second series join into one timeline per metric. */
function mergeSeries(judgements: LoadJudgement[]): TimelineSeries[] {
  const byName = new Map<string, TimelineSeries>();
  for (const judged of judgements)
    for (const series of judged.timeline.series) {
      const merged = byName.get(series.name) ?? { name: series.name, unit: series.unit, points: [] };
      merged.points.push(...series.points);
      byName.set(series.name, merged);
    }
  return [...byName.values()];
}

function baselineVerdicts(output: PhaseOutput, baseline: LoadFigures, options: LoadPhaseOptions): SloVerdict[] {
  const current = output.details?.['load'] as LoadFigures | undefined;
  if (!current) return [];
  return compareWithBaseline(current, baseline, options.baselineTolerancePercent ?? 10);
}
