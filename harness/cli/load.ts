/**
 * `tokenproof load`: one scenario under k6 against the target (the embedded reference stack
 * without --target), or a capacity search, or (with --emit k6-operator) a manifest to run the
 * same scenario on a Kubernetes cluster instead. The CLI parses and picks; the engine runs.
 */
import { loadPhase } from '../engine/load.ts';
import { executeRun } from '../engine/run.ts';
import { parseDurationMs } from '../lib/duration.ts';
import { type ExitCode, UsageError } from '../lib/errors.ts';
import { scenarioByName } from '../load/scenarios.ts';
import { defaultShares, type TokenShares } from '../load/token-pool.ts';
import { loadProfile } from '../profile/load.ts';
import { type Profile, profileSchema } from '../profile/schema.ts';
import { standardReporters } from '../reporting/index.ts';

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
    throw new UsageError('--emit k6-operator is not available yet');
  }
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
    log: print,
  });
  return outcome.exitCode;
}
