/**
 * `tokenproof conform` and `tokenproof run`: parse nothing more than the options, pick the
 * phases, and hand them to the engine (harness/engine/run.ts), which prepares the environment
 * (the embedded reference stack without --target) and writes the reports.
 */
import { allSuites } from '../../suites/index.ts';
import { defaultChaosPhase } from '../engine/chaos.ts';
import { conformancePhase } from '../engine/conformance.ts';
import { defaultLoadPhase } from '../engine/load.ts';
import type { Phase } from '../engine/phase.ts';
import { executeRun } from '../engine/run.ts';
import { type ExitCode, UsageError } from '../lib/errors.ts';
import { loadProfile } from '../profile/load.ts';
import { standardReporters } from '../reporting/index.ts';
import { expectationMatcher, loadExpectations } from '../results/expect.ts';
import { selectChecks } from '../runner/run.ts';

export interface ConformOptions {
  target?: string;
  suites?: string[];
  checks?: string[];
  out?: string;
  pushgateway?: string;
  /** Known findings (harness/results/expect.ts): reported as expected, they do not fail the run. */
  expect?: string;
  /** A listed finding that no longer happens fails the run. */
  strictExpect?: boolean;
  /** Where the reference stack runs without --target: local processes (default) or Docker. */
  env?: 'embedded' | 'containers';
  /** --env containers: reference RSes that trust the issuer. */
  rsReplicas?: number;
  /** Where the load runs k6 (--k6): the host binary, or a container (the default under --env containers). */
  k6?: 'host' | 'container';
  command: string;
  version: string;
}

export interface RunOptions extends ConformOptions {
  skipLoad?: boolean;
  skipChaos?: boolean;
}

export { newRunId } from '../engine/run.ts';

/** `conform`: the conformance phase alone. */
export async function conform(options: ConformOptions, print: (line: string) => void): Promise<ExitCode> {
  return runWith(options, print, (checks) => [conformancePhase(checks)]);
}

/**
 * `run`, the main job: conformance, then a short load phase (--skip-load leaves it out), then
 * a short game day (--skip-chaos leaves it out).
 */
export async function run(options: RunOptions, print: (line: string) => void): Promise<ExitCode> {
  return runWith(options, print, (checks) => [
    conformancePhase(checks),
    ...(options.skipLoad ? [] : [defaultLoadPhase()]),
    ...(options.skipChaos ? [] : [defaultChaosPhase()]),
  ]);
}

async function runWith(
  options: ConformOptions,
  print: (line: string) => void,
  phases: (checks: ReturnType<typeof selectChecks>) => Phase[],
): Promise<ExitCode> {
  // Usage errors come first, before anything is started.
  const checks = selectChecks(allSuites, { suites: options.suites, checks: options.checks });
  if (options.strictExpect && !options.expect) throw new UsageError('--strict-expect needs --expect FILE');
  const known = allSuites.flatMap((suite) => suite.checks);
  const expected = options.expect ? loadExpectations(options.expect, known) : undefined;
  const environment = environmentOptions(options);
  const profile = options.target ? loadProfile(options.target) : undefined;
  const reporters = standardReporters(options.pushgateway ? { prometheus: { pushgateway: options.pushgateway } } : {});
  const outcome = await executeRun({
    command: options.command,
    version: options.version,
    ...(profile && { profile }),
    phases: phases(checks),
    reporters,
    ...(options.out && { out: options.out }),
    ...(expected && { expectations: expectationMatcher(expected, { selected: checks.map((check) => check.id) }) }),
    ...(options.strictExpect && { strictExpect: true }),
    environment,
    log: print,
  });
  return outcome.exitCode;
}

/** --env, --rs-replicas and --k6, checked before anything starts (shared by every command that prepares an environment). */
export function environmentOptions(options: { env?: string; rsReplicas?: number; target?: string; k6?: string }): {
  env: 'embedded' | 'containers';
  rsReplicas?: number;
  k6?: 'host' | 'container';
} {
  const env = options.env ?? 'embedded';
  if (env !== 'embedded' && env !== 'containers') throw new UsageError(`--env ${env}: use embedded or containers`);
  if (options.rsReplicas !== undefined && env !== 'containers') throw new UsageError('--rs-replicas needs --env containers');
  if (env === 'containers' && options.target) {
    throw new UsageError(
      '--env containers starts the reference stack in Docker; leave out --target (a profile names its own servers)',
    );
  }
  if (options.k6 !== undefined && options.k6 !== 'host' && options.k6 !== 'container')
    throw new UsageError(`--k6 ${options.k6}: use host or container`);
  if (options.k6 === 'container' && env !== 'containers')
    throw new UsageError('--k6 container needs --env containers (the k6 image runs on its network)');
  return {
    env,
    ...(options.rsReplicas !== undefined && { rsReplicas: options.rsReplicas }),
    ...(options.k6 !== undefined && { k6: options.k6 }),
  };
}
