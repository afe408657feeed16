/**
 * One run: prepare the environment, run the phases in order, apply the expected findings,
 * write every report, stop what was started, and map the result to an exit code. The CLI
 * commands (conform, run, and later load and chaos) differ only in the phases they pass.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stopLaunchedOnInterrupt } from '../env/launch.ts';
import { ExitCode } from '../lib/errors.ts';
import { Redactor } from '../lib/redactor.ts';
import type { LoadedProfile } from '../profile/load.ts';
import { writeReports } from '../reporting/write-run.ts';
import {
  type CheckResult,
  type FixedFinding,
  type PhaseResult,
  type Reporter,
  type RunMeta,
  type RunResult,
  runFailed,
  summarize,
} from '../results/model.ts';
import { type EnvironmentRequest, type PreparedEnvironment, prepareEnvironment } from './environment.ts';
import type { Phase } from './phase.ts';

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** Marks the results an --expect list names and lists the entries that no longer happen. */
export type ExpectationMatcher = (checks: CheckResult[]) => { checks: CheckResult[]; fixed: FixedFinding[] };

export interface RunRequest {
  command: string;
  version: string;
  profile?: LoadedProfile;
  phases: Phase[];
  reporters: Reporter[];
  /** Where run folders are written (default ./reports). */
  out?: string;
  expectations?: ExpectationMatcher;
  /** Where the reference stack runs without a profile (--env), its RS replicas (--rs-replicas), where k6 runs (--k6). */
  environment?: Pick<EnvironmentRequest, 'env' | 'rsReplicas' | 'k6'>;
  /** For a run with a chaos phase: an existing toxiproxy to use (default: the harness starts one). */
  chaos?: { toxiproxyUrl?: string };
  strictExpect?: boolean;
  log(line: string): void;
}

export interface RunOutcome {
  result: RunResult;
  exitCode: ExitCode;
  reportsDir: string;
}

export function executeRun(request: RunRequest): Promise<RunOutcome> {
  return stopLaunchedOnInterrupt(() => runPhases(request));
}

async function runPhases(request: RunRequest): Promise<RunOutcome> {
  const runId = newRunId();
  const reportsBase = resolve(request.out ?? 'reports');
  const runDir = join(reportsBase, runId);
  mkdirSync(runDir, { recursive: true });
  const redactor = new Redactor();
  const interrupt = new AbortController();
  let environment: PreparedEnvironment | undefined;
  try {
    environment = await prepareEnvironment({
      runDir,
      redactor,
      log: request.log,
      ...(request.profile && { profile: request.profile }),
      ...request.environment,
      // A chaos phase needs toxiproxy between the resource servers and their issuers.
      ...(request.phases.some((phase) => phase.name === 'chaos') && { chaos: request.chaos ?? {} }),
    });
    const { target } = environment;
    const planned = request.phases.flatMap((phase) => phase.planned ?? []);
    const meta: RunMeta = {
      runId,
      tool: { name: 'tokenproof', version: request.version },
      target: {
        name: target.name,
        ...(target.profile.issuer && { issuer: target.profile.issuer.url }),
        ...(target.profile.resourceServer && { resourceServer: target.profile.resourceServer.url }),
      },
      command: request.command,
      startedAt: new Date().toISOString(),
      suites: [...new Set(planned.map((check) => check.suite))],
    };
    const runStartedAt = performance.now();
    for (const reporter of request.reporters) await reporter.onBegin?.(meta, planned);

    const phases: PhaseResult[] = [];
    for (const phase of request.phases) {
      const startMs = Math.round(performance.now() - runStartedAt);
      for (const reporter of request.reporters) await reporter.onPhaseBegin?.({ name: phase.name, startMs });
      const output = await phase.run({
        environment,
        reporters: request.reporters,
        redactor,
        runDir,
        runStartedAt,
        log: request.log,
        signal: interrupt.signal,
      });
      const result: PhaseResult = {
        name: phase.name,
        startMs,
        durationMs: Math.round(performance.now() - runStartedAt) - startMs,
        checks: output.checks,
        slo: output.slo ?? [],
        ...(output.timeline && { timeline: output.timeline }),
        ...(output.details && { details: output.details }),
      };
      phases.push(result);
      for (const reporter of request.reporters) await reporter.onPhaseEnd?.(result);
    }

    const collected = phases.flatMap((phase) => phase.checks);
    const { checks, fixed } = request.expectations?.(collected) ?? { checks: collected, fixed: [] };
    const timelines = phases.flatMap((phase) => (phase.timeline ? [phase.timeline] : []));
    const result: RunResult = {
      ...meta,
      durationMs: Math.round(performance.now() - runStartedAt),
      summary: summarize(checks),
      checks,
      slo: phases.flatMap((phase) => phase.slo),
      ...(timelines.length > 0 && {
        timeline: {
          series: timelines.flatMap((timeline) => timeline.series),
          faults: timelines.flatMap((timeline) => timeline.faults),
        },
      }),
      phases: phases.map(({ name, startMs, durationMs, details }) => ({
        name,
        startMs,
        durationMs,
        ...(details && { details }),
      })),
      ...(request.expectations && { fixed }),
      ...(request.strictExpect && { strictExpect: true }),
    };
    const written = await writeReports(result, request.reporters, reportsBase);
    return { result, exitCode: runFailed(result) ? ExitCode.findings : ExitCode.ok, reportsDir: written.dir };
  } finally {
    interrupt.abort();
    await environment?.stop();
  }
}
