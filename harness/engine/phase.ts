/**
 * A run is a list of phases over one prepared environment (DESIGN.md "The command line"):
 * conformance, load, chaos. Each phase returns its part of the run result; the engine stamps
 * its timing and hands it to the reporters' phase hooks.
 */

import type { Redactor } from '../lib/redactor.ts';
import type { CheckResult, PhaseName, Reporter, SloVerdict, Timeline } from '../results/model.ts';
import type { PreparedEnvironment } from './environment.ts';

export interface PhaseContext {
  environment: PreparedEnvironment;
  reporters: readonly Reporter[];
  redactor: Redactor;
  /** The run's folder (reports/<run-id>): a phase may write artefacts (k6 summaries) under it. */
  runDir: string;
  /** performance.now() when the run started: timeline points are milliseconds since then. */
  runStartedAt: number;
  log(line: string): void;
  /** Aborted on Ctrl-C: a phase stops its work and cleans up. */
  signal: AbortSignal;
}

export interface PhaseOutput {
  checks: CheckResult[];
  slo?: SloVerdict[];
  timeline?: Timeline;
  details?: Record<string, unknown>;
}

export interface Phase {
  name: PhaseName;
  /** The checks it plans to report, for the reporters' onBegin (conformance knows them up front). */
  planned?: { id: string; suite: string }[];
  run(context: PhaseContext): Promise<PhaseOutput>;
}
