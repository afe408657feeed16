/**
 * `tokenproof load`: one scenario under k6 against the target (the embedded reference stack
 * without --target), or a capacity search, or (with --emit k6-operator) a manifest to run the
 * same scenario on a Kubernetes cluster instead. The CLI parses and picks; the engine runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadPhase } from '../engine/load.ts';
import { executeRun } from '../engine/run.ts';
import { parseDurationMs } from '../lib/duration.ts';
import { ExitCode, UsageError } from '../lib/errors.ts';
import { k6OperatorManifests } from '../load/k6-operator.ts';
import { type Operation, scenarioByName } from '../load/scenarios.ts';
import { availableOperations, describeLoadTarget } from '../load/target-endpoints.ts';
import { defaultShares, type TokenShares } from '../load/token-pool.ts';
import { loadProfile } from '../profile/load.ts';
import { type Profile, profileSchema } from '../profile/schema.ts';
import { standardReporters } from '../reporting/index.ts';
import { environmentOptions } from './conform.ts';

export interface LoadOptions {
  target?: string;
  scenario: string;
  duration?: string;
  rate?: number;
  findCapacity?: boolean;
  capacityBudget?: string;
  baseline?: string;
  baselineTolerance?: number;
  emit?: string;
  parallelism?: number;
  prometheusRw?: string;
  slo?: string[];
  invalidShare?: number;
  poolSize?: number;
  out?: string;
  pushgateway?: string;
  /** Where the reference stack runs without --target (`--env containers`: in Docker) and its RS replicas. */
  env?: 'embedded' | 'containers';
  rsReplicas?: number;
  /** Where k6 runs: the host binary, or a container on the run's network (the default under --env containers). */
  k6?: 'host' | 'container';
  command: string;
  version: string;
}

function durationFlag(flag: string, value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined || ms < 1000) throw new UsageError(`${flag} '${value}' is not a duration of at least 1s (e.g. 30s, 2m)`);
  return ms;
}

/** `--slo issuanceP95=50ms,availability=0.999`: parsed by the profile's own slo schema. */
export function parseSloFlags(entries: readonly string[] | undefined): Profile['slo'] | undefined {
  if (!entries?.length) return undefined;
  const raw: Record<string, string | number> = {};
  for (const entry of entries) {
    const [name, value] = entry.split('=', 2);
    if (!name || value === undefined) throw new UsageError(`--slo '${entry}' is not name=value (e.g. issuanceP95=50ms)`);
    raw[name.trim()] = /^\d+(\.\d+)?$/.test(value.trim()) && !/P95$/.test(name) ? Number(value) : value.trim();
  }
  const parsed = profileSchema.shape.slo.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`--slo: ${issue?.path.join('.') || 'value'} ${issue?.message ?? 'is invalid'}`);
  }
  return parsed.data;
}

function shares(invalidShare: number | undefined): TokenShares {
  if (invalidShare === undefined) return defaultShares;
  if (!(invalidShare >= 0 && invalidShare <= 0.3))
    throw new UsageError('--invalid-share is the share of each invalid kind, between 0 and 0.3 (default 0.05)');
  return { expired: invalidShare, forged: invalidShare, revoked: invalidShare };
}

export async function load(options: LoadOptions, print: (line: string) => void): Promise<ExitCode> {
  scenarioByName(options.scenario);
  const durationMs = durationFlag('--duration', options.duration ?? '30s');
  const rate = options.rate ?? 50;
  if (!(rate >= 1)) throw new UsageError('--rate is arrivals per second, at least 1');
  if (options.parallelism !== undefined && options.emit !== 'k6-operator')
    throw new UsageError('--parallelism goes with --emit k6-operator');
  if (options.emit !== undefined) {
    if (options.emit !== 'k6-operator') throw new UsageError(`--emit '${options.emit}': only k6-operator is supported`);
    return emit(options, { durationMs, rate }, print);
  }
  const environment = environmentOptions(options);
  const profile = options.target ? loadProfile(options.target) : undefined;
  const phase = loadPhase({
    scenario: options.scenario,
    durationMs,
    rate,
    shares: shares(options.invalidShare),
    ...(options.poolSize !== undefined && { poolSize: options.poolSize }),
    ...(parseSloFlags(options.slo) && { slo: parseSloFlags(options.slo) }),
    ...(options.prometheusRw && { prometheusRemoteWrite: options.prometheusRw }),
    ...(options.baseline && { baseline: options.baseline }),
    ...(options.baselineTolerance !== undefined && { baselineTolerancePercent: options.baselineTolerance }),
    ...(options.findCapacity && {
      findCapacity: {
        budgetMs: options.capacityBudget ? durationFlag('--capacity-budget', options.capacityBudget) : 5 * 60_000,
        stepDurationMs: durationMs,
      },
    }),
  });
  const reporters = standardReporters(options.pushgateway ? { prometheus: { pushgateway: options.pushgateway } } : {});
  const outcome = await executeRun({
    command: options.command,
    version: options.version,
    ...(profile && { profile }),
    phases: [phase],
    reporters,
    ...(options.out && { out: options.out }),
    environment,
    log: print,
  });
  return outcome.exitCode;
}

/**
 * `--emit k6-operator`: the TestRun and ConfigMap for the same scenario on a cluster. It reads the
 * issuer's endpoints from discovery now (so the target must be reachable from here) and starts
 * nothing: the cluster's runners mint their own tokens.
 */
async function emit(
  options: LoadOptions,
  load: { durationMs: number; rate: number },
  print: (line: string) => void,
): Promise<ExitCode> {
  if (!options.target)
    throw new UsageError(
      '--emit k6-operator needs --target: the embedded stack listens on loopback addresses a cluster cannot reach',
    );
  const profile = loadProfile(options.target).profile;
  const scenario = scenarioByName(options.scenario);
  const target = await describeLoadTarget(profile);
  const available = availableOperations(target);
  const operations = (Object.keys(scenario.weights) as Operation[]).filter((op) => available.has(op) && op !== 'refresh');
  if (operations.length === 0)
    throw new UsageError(
      `the ${scenario.name} scenario cannot run on a cluster against ${profile.name} (refresh chains need a user login)`,
    );
  const { yaml } = await k6OperatorManifests({
    scenario,
    profile,
    target,
    operations,
    rate: load.rate,
    durationMs: load.durationMs,
    parallelism: options.parallelism ?? 1,
    ...(options.prometheusRw && { prometheusRemoteWrite: options.prometheusRw }),
    ...(options.poolSize !== undefined && { poolSize: options.poolSize }),
  });
  const dir = resolve(options.out ?? 'reports');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `k6-operator-${scenario.name}.yaml`);
  writeFileSync(file, yaml);
  print(
    `wrote ${file}: a ConfigMap (the bundled ${scenario.name} script and its config) and a TestRun with ${options.parallelism ?? 1} runners`,
  );
  print('apply it with `kubectl apply -f` after creating the client secret named in its header');
  return ExitCode.ok;
}
