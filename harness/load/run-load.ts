/**
 * One load measurement, in three steps the load phase and the capacity search share:
 * prepareLoad() (endpoints, token pool, SLOs; once per run), measureLoad() (one k6 run at one
 * rate, with the per-second series and a progress line), judgeLoad() (the correctness checks
 * L01-L03, the SLO verdicts, the timeline and the details for the reports).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PreparedEnvironment } from '../engine/environment.ts';
import { formatDuration } from '../lib/duration.ts';
import { UsageError } from '../lib/errors.ts';
import { secretTempDir } from '../lib/secret-files.ts';
import type { Profile } from '../profile/schema.ts';
import type { CheckResult, SloVerdict, Timeline, TimelineSeries } from '../results/model.ts';
import { requireDiscoveredTool } from '../tools/discover.ts';
import { repoRoot } from '../tools/paths.ts';
import { hostK6Runner, type K6Runner, type K6Summary } from './k6.ts';
import {
  k6Scenarios,
  type Operation,
  type OperationRate,
  type Scenario,
  type ScenarioName,
  scenarioByName,
  splitRate,
} from './scenarios.ts';
import { percentile, SeriesReader, wronglyAcceptedIn } from './series.ts';
import { k6Thresholds, type LoadSlo, type SloName, slosFor, slosNotMeasured, sloVerdicts } from './slo.ts';
import { availableOperations, describeLoadTarget, type LoadTarget } from './target-endpoints.ts';
import {
  defaultShares,
  invalidKinds,
  issuanceParams,
  type PreparedTokens,
  poolForger,
  prepareTokens,
  type TokenShares,
} from './token-pool.ts';

export interface LoadRequest {
  scenario: ScenarioName | string;
  durationMs: number;
  /** Total arrivals per second, split over the scenario's operations. */
  rate: number;
  shares?: TokenShares;
  /** Distinct tokens in the pool (default 500). */
  poolSize?: number;
  /** SLOs over the profile's (`--slo issuanceP95=50ms`). */
  slo?: Profile['slo'];
  /** k6's Prometheus remote-write output goes here when set. */
  prometheusRemoteWrite?: string;
}

export interface PreparedLoad {
  scenario: Scenario;
  target: LoadTarget;
  tokens: PreparedTokens;
  operations: Operation[];
  slos: LoadSlo[];
  notMeasured: SloName[];
  requestTimeoutMs: number;
  /** Where k6 runs: the host binary (tool discovery) or the environment's k6 container. */
  k6: K6Runner;
  /** The client_credentials form the issuance operation sends. */
  tokenParams: Record<string, string>;
  /** Owner-only temporary folder for the token file and k6's CSV: never under reports/. */
  workDir: string;
  cleanup(): void;
}

export interface LoadContext {
  log(line: string): void;
  signal?: AbortSignal;
  /** performance.now() when the run started: timeline points are ms since then. */
  runStartedAt: number;
}

const defaultPoolSize = 500;
const refreshChains = 20;
const revocableTokens = 200;

export async function prepareLoad(
  environment: PreparedEnvironment,
  request: LoadRequest,
  context: LoadContext,
): Promise<PreparedLoad> {
  const scenario = scenarioByName(request.scenario);
  const profile = environment.target.profile;
  const target = await describeLoadTarget(profile);
  const available = availableOperations(target);
  const operations = (Object.keys(scenario.weights) as Operation[]).filter((op) => available.has(op));
  const notes: string[] = [];
  // One pool serves both: tokens of the harness test issuer cannot be introspected at the issuer.
  if (operations.includes('validation') && operations.includes('introspection') && poolForger(environment)) {
    operations.splice(operations.indexOf('introspection'), 1);
    notes.push(
      'introspection left out of the mix: the pool holds tokens of the harness test issuer (the RS trusts it), which the issuer cannot introspect; run the introspection scenario for it',
    );
  }
  if (operations.length === 0) {
    const reasons = (Object.keys(scenario.weights) as Operation[]).map((op) => `${op}: ${target.unavailable[op]}`);
    throw new UsageError(`the ${scenario.name} scenario cannot run against ${environment.target.name} (${reasons.join('; ')})`);
  }
  // The environment's runner (k6 in a container on its network), else the host binary.
  const k6 = environment.k6 ?? hostK6Runner(await requireDiscoveredTool('k6'));
  context.log(`load: k6 is ${k6.description}`);
  const slo = { ...profile.slo, ...request.slo };
  const judge = operations.includes('validation') ? 'resourceServer' : 'introspection';
  const needsPool = operations.includes('validation') || operations.includes('introspection');
  context.log(`load: preparing ${scenario.name} (${operations.join(', ')}): minting tokens before k6 starts`);
  const tokens = await prepareTokens(environment, target, {
    size: needsPool ? (request.poolSize ?? defaultPoolSize) : 0,
    shares: request.shares ?? defaultShares,
    judge,
    revocable: operations.includes('revocation') ? revocableTokens : 0,
    refreshChains: operations.includes('refresh') ? refreshChains : 0,
    ...(context.signal && { signal: context.signal }),
  });
  tokens.notes.unshift(...notes);
  for (const note of tokens.notes) context.log(`load: ${note}`);
  // The token pool goes here: owner-only, gone at exit even after a Ctrl-C.
  const work = secretTempDir('tokenproof-load-');
  const workDir = work.path;
  return {
    scenario,
    target,
    tokens,
    operations,
    slos: slosFor(slo, operations),
    notMeasured: slosNotMeasured(slo, operations),
    requestTimeoutMs: profile.timeouts.request,
    k6,
    tokenParams: issuanceParams(profile),
    workDir,
    cleanup: work.remove,
  };
}

export interface LoadMeasurement {
  rate: number;
  durationMs: number;
  rates: OperationRate[];
  summary: K6Summary;
  exitCode: number;
  series: SeriesReader;
  /** Wall-clock ms of the run's start (runStartedAt), to turn k6's Unix seconds into timeline offsets. */
  runStartWallMs: number;
  maxVUs: number;
  thresholds: Record<string, string[]>;
}

/** The k6 options a scenario runs with: the executors and thresholds are data, the script stays small. */
export function k6Options(prepared: PreparedLoad, rates: readonly OperationRate[], durationMs: number) {
  return {
    scenarios: k6Scenarios(rates, durationMs),
    thresholds: k6Thresholds(prepared.slos),
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
    // The load is the point: k6's own setup/teardown would only add noise.
    noSetup: true,
    noTeardown: true,
  };
}

/**
 * The config the script reads (scenarios/lib/config.ts), minus the file paths. Its URLs are as
 * k6 reaches them from where it runs (`reach`: the runner's, identity on the host).
 */
export function scriptConfig(
  prepared: PreparedLoad,
  options: ReturnType<typeof k6Options>,
  reach: (url: string) => string = (url) => url,
) {
  const { target } = prepared;
  return {
    scenario: prepared.scenario.name,
    options,
    ...(target.resourceServerUrl && { resourceServerUrl: reach(target.resourceServerUrl) }),
    ...(target.tokenEndpoint && { tokenEndpoint: reach(target.tokenEndpoint) }),
    ...(target.introspectionEndpoint && { introspectionEndpoint: reach(target.introspectionEndpoint) }),
    ...(target.revocationEndpoint && { revocationEndpoint: reach(target.revocationEndpoint) }),
    clients: target.clients.map(({ id, secret, auth }) => ({ id, secret, auth })),
    ...(target.introspectionClient && {
      introspectionClient: {
        id: target.introspectionClient.id,
        secret: target.introspectionClient.secret,
        auth: target.introspectionClient.auth,
      },
    }),
    tokenParams: prepared.tokenParams,
    requestTimeout: `${Math.max(1, Math.round(prepared.requestTimeoutMs))}ms`,
  };
}

/**
 * Writes the token file (owner-only): what the k6 script reads into its SharedArrays. A token's
 * own protected URL (a revoked one for a propagation RS) is as k6 reaches it (`reach`).
 */
export function writeTokensFile(prepared: PreparedLoad, reach: (url: string) => string = (url) => url): string {
  const file = join(prepared.workDir, 'tokens.json');
  const { revocable, refreshTokens } = prepared.tokens;
  const pool = prepared.tokens.pool.map((entry) => (entry.url ? { ...entry, url: reach(entry.url) } : entry));
  writeFileSync(file, JSON.stringify({ pool, revocable, refreshTokens }), { mode: 0o600 });
  return file;
}

let measurementCounter = 0;

export async function measureLoad(
  prepared: PreparedLoad,
  load: { rate: number; durationMs: number; prometheusRemoteWrite?: string; quiet?: boolean },
  context: LoadContext,
): Promise<LoadMeasurement> {
  const index = ++measurementCounter;
  const rates = splitRate(prepared.scenario, load.rate, new Set(prepared.operations));
  const options = k6Options(prepared, rates, load.durationMs);
  const summaryFile = join(prepared.workDir, `summary-${index}.json`);
  const csvFile = join(prepared.workDir, `samples-${index}.csv`);
  const configFile = join(prepared.workDir, `config-${index}.json`);
  const reach = await prepared.k6.locate();
  const tokensFile = writeTokensFile(prepared, reach);
  writeFileSync(configFile, JSON.stringify({ ...scriptConfig(prepared, options, reach), summaryFile, tokensFile }), {
    mode: 0o600,
  });
  const series = new SeriesReader(csvFile);
  const args = ['--out', `csv=${csvFile}`, '--system-tags', 'status,scenario'];
  const env: Record<string, string> = { TOKENPROOF_LOAD_CONFIG: configFile, K6_CSV_SAVE_INTERVAL: '1s' };
  if (load.prometheusRemoteWrite) {
    args.push('--out', 'experimental-prometheus-rw');
    env['K6_PROMETHEUS_RW_SERVER_URL'] = reach(load.prometheusRemoteWrite);
    env['K6_PROMETHEUS_RW_TREND_STATS'] = 'p(50),p(95),p(99),max';
  }
  const started = performance.now();
  const runStartWallMs = Date.now() - (performance.now() - context.runStartedAt);
  if (!load.quiet)
    context.log(
      `load: k6 ${prepared.scenario.name} at ${load.rate}/s for ${formatDuration(load.durationMs)} (${rates.map((r) => `${r.operation} ${r.rate}/s`).join(', ')})`,
    );
  const progress = () => {
    series.poll();
    const seconds = series.seconds();
    const recent = seconds.slice(-6, -1);
    const rate = recent.length ? recent.reduce((sum, b) => sum + b.requests, 0) / recent.length : 0;
    const wrongly = seconds.reduce((sum, b) => sum + wronglyAcceptedIn(b), 0);
    const p95 = percentile(
      recent.flatMap((b) => b.durations),
      95,
    );
    context.log(
      `load: ${formatDuration(performance.now() - started)} / ${formatDuration(load.durationMs)} · ${series.totals.requests} requests · ${rate.toFixed(0)} req/s · p95 ${p95 === undefined ? '–' : `${p95.toFixed(1)} ms`} · wrongly accepted ${wrongly}`,
    );
  };
  const result = await prepared.k6.run({
    script: prepared.scenario.script,
    // What a container runner mounts (at the same paths): the scenarios, and this load's files.
    shareDirs: { readOnly: [join(repoRoot, 'scenarios')], readWrite: [prepared.workDir] },
    env,
    args,
    summaryFile,
    ...(!load.quiet && { onTick: progress, tickMs: 5000 }),
    ...(context.signal && { signal: context.signal }),
  });
  series.poll();
  const maxVUs = Object.values(options.scenarios).reduce((sum, s) => sum + s.maxVUs, 0);
  return {
    rate: load.rate,
    durationMs: load.durationMs,
    rates,
    summary: result.summary,
    exitCode: result.exitCode,
    series,
    runStartWallMs,
    maxVUs,
    thresholds: options.thresholds,
  };
}

export interface LoadJudgement {
  checks: CheckResult[];
  slo: SloVerdict[];
  timeline: Timeline;
  details: Record<string, unknown>;
  /** Every SLO held and nothing was wrongly accepted. */
  ok: boolean;
}

function loadCheck(
  fields: Pick<CheckResult, 'id' | 'title' | 'level' | 'outcome' | 'reason' | 'catalog'> & { notes?: string[]; spec?: string[] },
): CheckResult {
  return {
    id: fields.id,
    suite: 'load',
    title: fields.title,
    level: fields.level,
    outcome: fields.outcome,
    reason: fields.reason,
    spec: fields.spec ?? [],
    durationMs: 0,
    evidence: { exchanges: [], notes: fields.notes ?? [] },
    ...(fields.catalog && { catalog: fields.catalog }),
    phase: 'load',
  };
}

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

export function judgeLoad(prepared: PreparedLoad, measurement: LoadMeasurement): LoadJudgement {
  const { summary, series } = measurement;
  const { totals } = series;
  const seconds = series.seconds();
  const offset = (second: number) => Math.max(0, Math.round(second * 1000 - measurement.runStartWallMs));
  const invalidSent = invalidKinds.reduce((sum, kind) => sum + totals.sentByKind[kind], 0);
  const wrongly = invalidKinds.reduce((sum, kind) => sum + totals.wronglyAccepted[kind], 0);
  const checks: CheckResult[] = [];

  // L01: any wrongly accepted token fails the run, at any rate.
  const worstSecond = seconds.reduce(
    (worst, bucket) => (wronglyAcceptedIn(bucket) > wronglyAcceptedIn(worst) ? bucket : worst),
    seconds[0] ?? { second: 0, wronglyAccepted: { expired: 0, forged: 0, revoked: 0 } },
  );
  const firstWrong = seconds.find((bucket) => wronglyAcceptedIn(bucket) > 0);
  const kindsLine = invalidKinds
    .map((kind) => `${totals.wronglyAccepted[kind]} of ${totals.sentByKind[kind]} ${kind}`)
    .join(', ');
  checks.push(
    loadCheck({
      id: 'load.wrongly-accepted',
      catalog: 'L01',
      title: 'Revoked, expired and forged tokens mixed into the load are all refused',
      level: 'MUST',
      spec: ['RFC6750-3.1', 'RFC7519-4.1.4', 'RFC7515-5.2', 'RFC7009-2'],
      outcome: invalidSent === 0 ? 'skip' : wrongly > 0 ? 'fail' : 'pass',
      reason:
        invalidSent === 0
          ? `the ${prepared.scenario.name} scenario presents no revoked, expired or forged token`
          : wrongly > 0
            ? `under load the target accepted ${plural(wrongly, 'token')} it must refuse (${kindsLine}); first in second ${Math.round(offset(firstWrong?.second ?? 0) / 1000)} of the run, up to ${wronglyAcceptedIn(worstSecond)}/s`
            : `refused every one of ${invalidSent} invalid tokens under load (${invalidKinds.map((kind) => `${totals.sentByKind[kind]} ${kind}`).join(', ')})`,
      notes: [
        `pool: ${Object.entries(prepared.tokens.counts)
          .map(([kind, count]) => `${count} ${kind}`)
          .join(', ')} distinct tokens`,
        ...prepared.tokens.notes,
      ],
    }),
  );

  // L02: valid refused and 5xx, judged against the availability SLO (a verdict of its own).
  const availability = summary.metrics['tokenproof_available']?.values['rate'];
  const availabilitySlo = prepared.slos.find((slo) => slo.name === 'availability');
  const availabilityOk = availabilitySlo
    ? summary.metrics[availabilitySlo.metric]?.thresholds?.[availabilitySlo.expression]?.ok === true
    : availability === 1;
  checks.push(
    loadCheck({
      id: 'load.availability',
      catalog: 'L02',
      title: 'Valid tokens are served under load (refusals and 5xx within the availability SLO)',
      level: 'MUST',
      outcome: availability === undefined ? 'error' : availabilityOk ? 'pass' : 'fail',
      reason:
        availability === undefined
          ? 'no legitimate request completed: nothing to judge availability on'
          : `${((availability ?? 0) * 100).toFixed(3)} % of legitimate requests succeeded (${plural(totals.validRefused, 'valid request')} refused, ${totals.serverErrors} 5xx)${availabilitySlo ? `; SLO ${availabilitySlo.threshold}` : '; no availability SLO in the profile, so every legitimate request must succeed'}`,
    }),
  );

  // L03: did the generator keep the requested rate?
  const dropped = summary.metrics['dropped_iterations']?.values['count'] ?? 0;
  const vusMax = summary.metrics['vus_max']?.values['max'] ?? 0;
  // Every allocated VU busy at once means arrivals waited on the target's answers (rate × latency
  // exceeded the VUs); VUs idle while arrivals were dropped means k6 itself could not keep up.
  const busiest = summary.metrics['vus']?.values['max'] ?? 0;
  const allBusy = vusMax >= measurement.maxVUs || (vusMax > 0 && busiest >= vusMax);
  const limit = dropped === 0 ? 'none' : allBusy ? 'target' : 'generator';
  const overall = percentile(
    seconds.flatMap((b) => b.durations),
    95,
  );
  checks.push(
    loadCheck({
      id: 'load.generator-kept-rate',
      catalog: 'L03',
      title: 'The load generator kept the requested arrival rate (no dropped iterations)',
      level: 'SHOULD',
      outcome: dropped === 0 ? 'pass' : 'warn',
      reason:
        dropped === 0
          ? `k6 started every iteration on time at ${measurement.rate}/s (0 dropped)`
          : limit === 'generator'
            ? `the generator, not the target, was the limit: k6 dropped ${dropped} iterations while at most ${busiest} of its ${vusMax} VUs were busy (it could not start them on time on this machine)`
            : `k6 dropped ${dropped} iterations because all ${vusMax} VUs were waiting on the target (p95 ${overall?.toFixed(1) ?? '–'} ms): the target, not the generator, was the limit at ${measurement.rate}/s`,
    }),
  );

  const emitted = (slo: LoadSlo) =>
    (totals.samples.get(slo.sample.op ? `${slo.sample.metric}{op:${slo.sample.op}}` : slo.sample.metric) ?? 0) > 0;
  const slo = sloVerdicts(prepared.slos, summary.metrics, emitted);
  const unmeasured = prepared.slos.filter((s) => !emitted(s));
  if (unmeasured.length > 0)
    checks.push(
      loadCheck({
        id: 'load.slo-measured',
        title: 'Every SLO threshold measured something',
        level: 'MUST',
        outcome: 'error',
        reason: `${unmeasured.map((s) => `slo.${s.name} (${s.metric})`).join(', ')}: the ${prepared.scenario.name} scenario emitted no sample of this metric, so the threshold cannot pass`,
      }),
    );

  const timeline = loadTimeline(prepared.scenario.name, seconds, offset, prepared.slos);
  const latency: Record<string, Record<string, number | undefined>> = {};
  for (const [key, values] of totals.durationsByOp)
    latency[key] = {
      count: values.length,
      p50: percentile(values, 50),
      p95: percentile(values, 95),
      p99: percentile(values, 99),
      max: percentile(values, 100),
    };
  const details = {
    load: {
      scenario: prepared.scenario.name,
      description: prepared.scenario.description,
      requestedRate: measurement.rate,
      durationMs: measurement.durationMs,
      operations: measurement.rates,
      requests: totals.requests,
      achievedRate: summary.metrics['http_reqs']?.values['rate'] ?? 0,
      iterations: summary.metrics['iterations']?.values['count'] ?? 0,
      droppedIterations: dropped,
      vusMax,
      maxVUs: measurement.maxVUs,
      limit,
      latency,
      correctness: {
        sent: totals.sentByKind,
        wronglyAccepted: totals.wronglyAccepted,
        validRefused: totals.validRefused,
        serverErrors: totals.serverErrors,
      },
      pool: prepared.tokens.counts,
      notes: prepared.tokens.notes,
      sloNotMeasured: prepared.notMeasured,
      thresholds: measurement.thresholds,
      k6: prepared.k6.placement,
      k6ExitCode: measurement.exitCode,
      perSecond: seconds.map((bucket) => ({
        t: offset(bucket.second),
        requests: bucket.requests,
        p95: percentile(bucket.durations, 95),
        errors: bucket.errors,
        wronglyAccepted: bucket.wronglyAccepted,
        validRefused: bucket.validRefused,
        serverErrors: bucket.serverErrors,
      })),
    },
  };
  const ok = slo.every((verdict) => verdict.ok) && !checks.some((check) => check.outcome === 'fail' || check.outcome === 'error');
  return { checks, slo, timeline, details, ok };
}

function loadTimeline(
  scenario: string,
  seconds: ReturnType<SeriesReader['seconds']>,
  offset: (second: number) => number,
  slos: readonly LoadSlo[] = [],
): Timeline {
  const series = (
    name: string,
    unit: string,
    value: (bucket: (typeof seconds)[number]) => number | undefined,
  ): TimelineSeries => {
    // The strictest SLO on this series is the line worth drawing.
    const lines = slos.flatMap((slo) => (slo.chartLine?.series === name ? [{ slo, value: slo.chartLine.value }] : []));
    const line = lines.sort((a, b) => a.value - b.value)[0];
    return {
      name: `${scenario}: ${name}`,
      unit,
      points: seconds.flatMap((bucket): [number, number][] => {
        const v = value(bucket);
        return v === undefined ? [] : [[offset(bucket.second), Math.round(v * 100) / 100]];
      }),
      ...(line && { threshold: { value: line.value, label: `slo.${line.slo.name} ${line.slo.threshold}` } }),
    };
  };
  const list: TimelineSeries[] = [
    series('throughput', 'req/s', (b) => b.requests),
    series('p95 latency', 'ms', (b) => percentile(b.durations, 95)),
    series('error rate', '%', (b) => (b.outcomes > 0 ? (b.errors / b.outcomes) * 100 : undefined)),
    series('wrongly accepted', 'tokens/s', (b) => wronglyAcceptedIn(b)),
  ];
  return { series: list, faults: [] };
}
