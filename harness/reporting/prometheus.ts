/**
 * metrics.prom: the run as Prometheus metrics (text exposition format, from prom-client), for
 * node_exporter's textfile collector or a Pushgateway. Each call builds a fresh Registry, so
 * the harness's own live metrics and earlier runs never leak into a report.
 *
 *   tokenproof_run_info{version,target,run_id}         1
 *   tokenproof_run_ok                                   1 when the run passed (exit code 0)
 *   tokenproof_run_duration_seconds                     wall time of the run
 *   tokenproof_run_start_timestamp_seconds              when it started (Unix time)
 *   tokenproof_checks_total{outcome,suite,level}        checks per outcome (every outcome, zeros included)
 *   tokenproof_checks_expected_total{outcome,suite,level}  of those, the ones an --expect entry covered
 *   tokenproof_expectations_fixed                       --expect entries that no longer happen
 *   tokenproof_check_duration_seconds{id,suite}         how long each check took
 *   tokenproof_slo_ok{name}                             1 held, 0 breached
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Counter, Gauge, Pushgateway, Registry } from 'prom-client';
import { EnvironmentError } from '../lib/errors.ts';
import type { Reporter, RunResult } from '../results/model.ts';
import { outcomes, runFailed } from '../results/model.ts';

export const prometheusFile = 'metrics.prom';

export interface PrometheusOptions {
  /** Pushgateway base URL (http://host:9091); the run is pushed with PUT under job "tokenproof". */
  pushgateway?: string;
  /** Extra grouping labels for the push (e.g. { target: 'acme-idp' }); the job is always "tokenproof". */
  grouping?: Record<string, string>;
  /** Deadline for the push request. */
  pushTimeoutMs?: number;
}

export const pushgatewayJob = 'tokenproof';

export function buildRegistry(result: RunResult): Registry {
  const registry = new Registry();
  const registers = [registry];

  new Gauge({
    name: 'tokenproof_run_info',
    help: 'The tokenproof version, target and run id of this run (always 1)',
    labelNames: ['version', 'target', 'run_id'] as const,
    registers,
  }).set({ version: result.tool.version, target: result.target.name, run_id: result.runId }, 1);

  new Gauge({ name: 'tokenproof_run_ok', help: '1 when every MUST check passed and every SLO held, else 0', registers }).set(
    runFailed(result) ? 0 : 1,
  );
  new Gauge({ name: 'tokenproof_run_duration_seconds', help: 'Wall-clock duration of the run', registers }).set(
    result.durationMs / 1000,
  );
  const started = Date.parse(result.startedAt);
  if (Number.isFinite(started)) {
    new Gauge({ name: 'tokenproof_run_start_timestamp_seconds', help: 'When the run started, in Unix time', registers }).set(
      started / 1000,
    );
  }

  const checksTotal = new Counter({
    name: 'tokenproof_checks_total',
    help: 'Checks by outcome, suite and level',
    labelNames: ['outcome', 'suite', 'level'] as const,
    registers,
  });
  // Every outcome of every (suite, level) seen, zeros included, so `outcome="fail"` series exist
  // (and read 0) on a clean run instead of vanishing.
  for (const key of new Set(result.checks.map((check) => `${check.suite}\u0000${check.level}`))) {
    const [suite = '', level = ''] = key.split('\u0000');
    for (const outcome of outcomes) checksTotal.inc({ outcome, suite, level }, 0);
  }
  for (const check of result.checks) checksTotal.inc({ outcome: check.outcome, suite: check.suite, level: check.level });

  // Counts stay per outcome above; this says how many of them were expected, with the same labels
  // (zeros included wherever --expect was used) so `checks_total - checks_expected_total` is the unexpected part.
  const expectedTotal = new Counter({
    name: 'tokenproof_checks_expected_total',
    help: 'Checks an --expect entry covered (they do not fail the run), by outcome, suite and level',
    labelNames: ['outcome', 'suite', 'level'] as const,
    registers,
  });
  if (result.fixed !== undefined || result.checks.some((check) => check.expected)) {
    for (const check of result.checks) expectedTotal.inc({ outcome: check.outcome, suite: check.suite, level: check.level }, 0);
  }
  for (const check of result.checks) {
    if (check.expected) expectedTotal.inc({ outcome: check.outcome, suite: check.suite, level: check.level });
  }
  new Gauge({
    name: 'tokenproof_expectations_fixed',
    help: '--expect entries whose finding no longer happens (remove them from the list)',
    registers,
  }).set(result.fixed?.length ?? 0);

  const checkDuration = new Gauge({
    name: 'tokenproof_check_duration_seconds',
    help: 'How long each check took',
    labelNames: ['id', 'suite'] as const,
    registers,
  });
  for (const check of result.checks) checkDuration.set({ id: check.id, suite: check.suite }, check.durationMs / 1000);

  const sloOk = new Gauge({
    name: 'tokenproof_slo_ok',
    help: '1 when the SLO held, 0 when it was breached',
    labelNames: ['name'] as const,
    registers,
  });
  for (const verdict of result.slo) sloOk.set({ name: verdict.name }, verdict.ok ? 1 : 0);

  loadMetrics(result, registers);
  return registry;
}

/** The shape of `details.load` this reporter reads (harness/load/run-load.ts writes it). */
interface LoadDetails {
  scenario: string;
  requests: number;
  achievedRate: number;
  droppedIterations: number;
  latency: Record<string, { p95?: number }>;
  correctness: { wronglyAccepted: Record<string, number>; validRefused: number; serverErrors: number };
}

/** The load phase's summary numbers (CHECKS.md L01-L03), one series per scenario. */
function loadMetrics(result: RunResult, registers: Registry[]): void {
  const loads = (result.phases ?? []).flatMap((phase) => {
    const load = phase.details?.['load'] as LoadDetails | undefined;
    return load?.correctness ? [load] : [];
  });
  if (loads.length === 0) return;
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames: ['scenario', ...labelNames], registers });
  const requests = gauge('tokenproof_load_requests', 'Requests the load phase sent');
  const rate = gauge('tokenproof_load_throughput_rps', 'Requests per second the load phase achieved');
  const dropped = gauge('tokenproof_load_dropped_iterations', 'Arrivals k6 could not start on time (L03)');
  const p95 = gauge('tokenproof_load_latency_p95_seconds', 'p95 latency per operation under load', ['operation']);
  const wrongly = gauge('tokenproof_load_wrongly_accepted', 'Invalid tokens accepted under load, by kind (L01: must be 0)', [
    'kind',
  ]);
  const refused = gauge('tokenproof_load_valid_refused', 'Valid tokens or credentials refused under load (L02)');
  const serverErrors = gauge('tokenproof_load_server_errors', '5xx answers under load (L02)');
  for (const load of loads) {
    const scenario = { scenario: load.scenario };
    requests.set(scenario, load.requests);
    rate.set(scenario, load.achievedRate);
    dropped.set(scenario, load.droppedIterations);
    for (const [operation, values] of Object.entries(load.latency))
      if (!operation.includes(' ') && values.p95 !== undefined) p95.set({ ...scenario, operation }, values.p95 / 1000);
    for (const [kind, count] of Object.entries(load.correctness.wronglyAccepted)) wrongly.set({ ...scenario, kind }, count);
    refused.set(scenario, load.correctness.validRefused);
    serverErrors.set(scenario, load.correctness.serverErrors);
  }
}

export async function toPrometheusText(result: RunResult): Promise<string> {
  return buildRegistry(result).metrics();
}

/** Replaces this job's group on the Pushgateway with the run's metrics (PUT). */
export async function pushRun(result: RunResult, options: PrometheusOptions & { pushgateway: string }): Promise<void> {
  const registry = buildRegistry(result);
  const gateway = new Pushgateway(options.pushgateway, { timeout: options.pushTimeoutMs ?? 10_000 }, registry);
  try {
    await gateway.push({ jobName: pushgatewayJob, ...(options.grouping && { groupings: options.grouping }) });
  } catch (error) {
    throw new EnvironmentError(
      `pushing metrics to the Pushgateway at ${options.pushgateway} failed: ${(error as Error).message}`,
      'check that the Pushgateway URL is right and reachable (metrics.prom was written regardless)',
    );
  }
}

export function prometheusReporter(options: PrometheusOptions = {}): Reporter {
  return {
    name: 'prometheus',
    async onEnd(result, outDir) {
      const file = join(outDir, prometheusFile);
      await writeFile(file, await toPrometheusText(result));
      if (options.pushgateway) await pushRun(result, { ...options, pushgateway: options.pushgateway });
      return [file];
    },
  };
}
