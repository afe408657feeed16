/**
 * The check model (DESIGN.md "Checks") and the results every reporter consumes. Reporters see
 * only these types: the data flows profile → environment → checks → results → reporters.
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

export interface RunResult extends RunMeta {
  durationMs: number;
  summary: Summary;
  checks: CheckResult[];
  slo: SloVerdict[];
  timeline?: Timeline;
}

export function emptySummary(): Summary {
  return { pass: 0, fail: 0, warn: 0, skip: 0, error: 0 };
}

export function summarize(checks: readonly CheckResult[]): Summary {
  const summary = emptySummary();
  for (const check of checks) summary[check.outcome]++;
  return summary;
}

/** The run fails (exit 1) on a MUST failure, a harness/target error, or a breached SLO. */
export function runFailed(result: Pick<RunResult, 'summary' | 'slo'>): boolean {
  return result.summary.fail > 0 || result.summary.error > 0 || result.slo.some((verdict) => !verdict.ok);
}

/** Reporter plug-ins (console, JSON, JUnit, Markdown, HTML, Prometheus) all implement this. */
export interface Reporter {
  readonly name: string;
  onBegin?(meta: RunMeta, planned: { id: string; suite: string }[]): void | Promise<void>;
  onCheckEnd?(result: CheckResult): void | Promise<void>;
  /** Writes whatever the reporter produces; returns the files written (if any). */
  onEnd(result: RunResult, outDir: string): string[] | Promise<string[]>;
}
