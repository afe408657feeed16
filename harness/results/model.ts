/**
 * The results model (DESIGN.md "Checks", "Reports"): what a run produces and every reporter
 * consumes. It lives outside the runner so the conformance, load and chaos phases all report
 * through it without importing each other: profile → environment → phases → results → reporters.
 */

export type Level = 'MUST' | 'SHOULD';
export type Outcome = 'pass' | 'fail' | 'warn' | 'skip' | 'error';
export const outcomes: readonly Outcome[] = ['pass', 'fail', 'warn', 'skip', 'error'];

/** One HTTP exchange as evidence, already redacted: no usable token, secret, password or cookie. */
export interface Exchange {
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  response?: { status: number; headers: Record<string, string>; body?: string; durationMs: number };
  /** Set when no response came (refused, timed out). */
  error?: string;
  note?: string;
}

export interface Evidence {
  exchanges: Exchange[];
  /** Free-form observations a check records (decoded JOSE headers and claims, measured values). */
  notes: string[];
}

/** Set on a result that an --expect list named: it does not fail the run (see expect.ts). */
export interface ExpectedFinding {
  /** The note from the expectations file (a ticket, a reason). */
  note?: string;
}

export interface CheckResult {
  id: string;
  suite: string;
  title: string;
  level: Level;
  outcome: Outcome;
  /** One line, in the reader's terms: what the server did. */
  reason: string;
  spec: string[];
  durationMs: number;
  evidence: Evidence;
  /** The catalog code of shared/CHECKS.md (D05), when the check has one. */
  catalog?: string;
  /** Which phase produced it: 'conformance' for suite checks; 'load' and 'chaos' for theirs. */
  phase?: PhaseName;
  /** Present when an --expect entry matched this result. */
  expected?: ExpectedFinding;
}

/** An --expect entry whose finding did not happen: the server was fixed, the entry can go. */
export interface FixedFinding {
  check: string;
  outcome: Outcome;
  reason?: string;
  note?: string;
  /** What the check did this time. */
  observed: Outcome | 'not run';
}

export interface SloVerdict {
  name: string;
  threshold: string;
  observed: string;
  ok: boolean;
}

export type Summary = Record<Outcome, number>;

export interface RunMeta {
  runId: string;
  tool: { name: 'tokenproof'; version: string };
  target: { name: string; issuer?: string; resourceServer?: string };
  command: string;
  startedAt: string;
  /** Suites selected for this run, in run order. */
  suites: string[];
}

/** One measured series over the run (latency, throughput), for the report's timeline chart. */
export interface TimelineSeries {
  name: string;
  /** Display unit of the values: 'ms', 'req/s', '%'. */
  unit: string;
  /** [milliseconds since startedAt, value], in time order. */
  points: [number, number][];
  /** An SLO line to draw across the chart (`slo.validationP95`: 300 ms), in the series' unit. */
  threshold?: { value: number; label: string };
}

/** A fault window (toxiproxy toxic, outage, clock skew), in milliseconds since startedAt. */
export interface TimelineFault {
  name: string;
  startMs: number;
  endMs: number;
}

/** Load and chaos runs fill this in; conformance-only runs leave it out. */
export interface Timeline {
  series: TimelineSeries[];
  faults: TimelineFault[];
}

export type PhaseName = 'conformance' | 'load' | 'chaos';

/** What one phase of a run produced; the run result is the phases put together. */
export interface PhaseResult {
  name: PhaseName;
  /** Milliseconds since the run started. */
  startMs: number;
  durationMs: number;
  checks: CheckResult[];
  slo: SloVerdict[];
  timeline?: Timeline;
  /** Phase-specific data for reporters that know it (k6 summary, game-day phases). */
  details?: Record<string, unknown>;
}

/** A phase as listed in the run result (its checks and SLOs are in the run's lists). */
export interface PhaseSummary {
  name: PhaseName;
  startMs: number;
  durationMs: number;
  details?: Record<string, unknown>;
}

export interface RunResult extends RunMeta {
  durationMs: number;
  summary: Summary;
  checks: CheckResult[];
  slo: SloVerdict[];
  timeline?: Timeline;
  /** The phases that ran, in order. Absent in results from before phases existed. */
  phases?: PhaseSummary[];
  /** --expect entries that no longer happen. */
  fixed?: FixedFinding[];
  /** Under --strict-expect a fixed entry fails the run. */
  strictExpect?: boolean;
}

export function emptySummary(): Summary {
  return { pass: 0, fail: 0, warn: 0, skip: 0, error: 0 };
}

export function summarize(checks: readonly CheckResult[]): Summary {
  const summary = emptySummary();
  for (const check of checks) summary[check.outcome]++;
  return summary;
}

/** A result that counts against the run: a fail or an error that no --expect entry covers. */
export function countsAgainstRun(check: Pick<CheckResult, 'outcome' | 'expected'>): boolean {
  return (check.outcome === 'fail' || check.outcome === 'error') && !check.expected;
}

/**
 * The run fails (exit 1) on a MUST failure or a harness/target error that was not expected, a
 * breached SLO, or (under --strict-expect) an expected finding that no longer happens.
 */
export function runFailed(
  result: Pick<RunResult, 'checks' | 'slo'> & Partial<Pick<RunResult, 'fixed' | 'strictExpect'>>,
): boolean {
  return (
    result.checks.some(countsAgainstRun) ||
    result.slo.some((verdict) => !verdict.ok) ||
    (result.strictExpect === true && (result.fixed?.length ?? 0) > 0)
  );
}

/** Reporter plug-ins (console, JSON, JUnit, Markdown, HTML, Prometheus) all implement this. */
export interface Reporter {
  readonly name: string;
  onBegin?(meta: RunMeta, planned: { id: string; suite: string }[]): void | Promise<void>;
  onPhaseBegin?(phase: { name: PhaseName; startMs: number }): void | Promise<void>;
  onCheckEnd?(result: CheckResult): void | Promise<void>;
  onPhaseEnd?(phase: PhaseResult): void | Promise<void>;
  /** Writes whatever the reporter produces; returns the files written (if any). */
  onEnd(result: RunResult, outDir: string): string[] | Promise<string[]>;
}
