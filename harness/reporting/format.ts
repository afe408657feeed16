/**
 * Wording and ordering shared by the reporters, so the console, Markdown, JUnit and HTML
 * outputs name outcomes, order checks and summarise evidence the same way.
 */
import { formatDuration } from '../lib/duration.ts';
import type { CheckResult, Evidence, FixedFinding, Outcome, PhaseSummary, RunResult, Summary } from '../results/model.ts';
import { outcomes, runFailed } from '../results/model.ts';

/** Most urgent first: what a reader should look at before anything else. */
export const severityOrder: readonly Outcome[] = ['error', 'fail', 'warn', 'skip', 'pass'];

export const outcomeMarks: Record<Outcome, string> = { pass: '✓', fail: '✗', warn: '!', skip: '-', error: 'E' };

/** How a count of each outcome reads in a sentence: "3 passed, 1 failed, 2 warnings". */
export const outcomePhrases: Record<Outcome, { one: string; many: string }> = {
  pass: { one: 'passed', many: 'passed' },
  fail: { one: 'failed', many: 'failed' },
  warn: { one: 'warning', many: 'warnings' },
  skip: { one: 'skipped', many: 'skipped' },
  error: { one: 'error', many: 'errors' },
};

/** The run's verdict as the exit code sees it (DESIGN.md: MUST failure, error or breached SLO → failed). */
export function verdictOf(result: Parameters<typeof runFailed>[0]): 'passed' | 'failed' {
  return runFailed(result) ? 'failed' : 'passed';
}

/** Checks ordered by severity, keeping run order within one outcome. */
export function bySeverity(checks: readonly CheckResult[]): CheckResult[] {
  return checks
    .map((check, index) => ({ check, index }))
    .sort((a, b) => severityOrder.indexOf(a.check.outcome) - severityOrder.indexOf(b.check.outcome) || a.index - b.index)
    .map(({ check }) => check);
}

/** Suites in run order: the selected suites first, then any suite a check names that the list lacks. */
export function suitesOf(result: Pick<RunResult, 'suites' | 'checks'>): string[] {
  const suites = [...result.suites];
  for (const check of result.checks) if (!suites.includes(check.suite)) suites.push(check.suite);
  return suites;
}

/** "12 checks: 9 passed, 1 failed, 2 warnings" — zero counts are left out. */
export function summaryPhrase(summary: Summary): string {
  const total = Object.values(summary).reduce((sum, count) => sum + count, 0);
  const parts = outcomes
    .filter((outcome) => summary[outcome] > 0)
    .map(
      (outcome) => `${summary[outcome]} ${summary[outcome] === 1 ? outcomePhrases[outcome].one : outcomePhrases[outcome].many}`,
    );
  return `${total} ${total === 1 ? 'check' : 'checks'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/**
 * One line per exchange and note: enough to see what happened without the bodies (which the
 * JSON and HTML reports carry in full).
 */
export function evidenceLines(evidence: Evidence): string[] {
  const lines = evidence.exchanges.map((exchange) => {
    const request = `${exchange.request.method} ${exchange.request.url}`;
    const answer = exchange.response
      ? `${exchange.response.status} (${formatDuration(exchange.response.durationMs)})`
      : `no response: ${exchange.error ?? 'unknown error'}`;
    return `${request} → ${answer}${exchange.note ? ` — ${exchange.note}` : ''}`;
  });
  return [...lines, ...evidence.notes.map((note) => `note: ${note}`)];
}

/** Results an --expect list covered: they keep their outcome but do not fail the run. */
export function expectedChecks(checks: readonly CheckResult[]): CheckResult[] {
  return checks.filter((check) => check.expected !== undefined);
}

/** " (2 expected)" after a count phrase, or nothing. */
export function expectedSuffix(checks: readonly CheckResult[]): string {
  const count = expectedChecks(checks).length;
  return count > 0 ? ` (${count} expected)` : '';
}

/** How every report words an --expect entry that no longer happens. */
export const fixedAdvice = 'fixed — remove it from the list';

/** "discovery.no-alg-none: expected fail (reason 'x') no longer happens, now pass — fixed — remove it from the list". */
export function fixedLine(fixed: FixedFinding): string {
  const reason = fixed.reason === undefined ? '' : ` (reason '${fixed.reason}')`;
  const now = fixed.observed === 'not run' ? 'it did not run' : `now ${fixed.observed}`;
  return `${fixed.check}: expected ${fixed.outcome}${reason} no longer happens, ${now} — ${fixedAdvice}`;
}

/** "conformance 2.31 s · load 30.0 s": the phases that ran, in order. */
export function phasesLine(phases: readonly PhaseSummary[]): string {
  return phases.map((phase) => `${phase.name} ${formatDuration(phase.durationMs)}`).join(' · ');
}

/** What the reports read of a chaos phase's details (harness/engine/chaos.ts; resilience.ts PhaseStats, Recovery). */
interface GamedayDetails {
  gameday?: unknown;
  phases?: { name?: unknown; kind?: unknown; label?: unknown; availability?: unknown; p95?: unknown; errorRate?: unknown }[];
  recoveries?: { fault?: unknown; recoveryMs?: unknown; threshold?: unknown }[];
}

/** One phase of a game day as the reports show it; a measure absent from the details is undefined. */
export interface GamedayRow {
  /** The phase's name, with its label in parentheses when it has one. */
  phase: string;
  kind: string;
  availability?: number;
  p95Ms?: number;
  errorRate?: number;
  /** Fault phases only: ms from the fault's end to recovery, `never`, or undefined when not judged. */
  recovery?: number | 'never';
}

export interface GamedayTable {
  gameday: string;
  rows: GamedayRow[];
}

const finite = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** The game days of a run's chaos phases, one table each (summary.md and index.html render them). */
export function gamedayTables(result: Pick<RunResult, 'phases'>): GamedayTable[] {
  const tables: GamedayTable[] = [];
  for (const phase of result.phases ?? []) {
    const details = phase.details?.['chaos'] as GamedayDetails | undefined;
    if (!details || !Array.isArray(details.phases) || details.phases.length === 0) continue;
    const recoveries = new Map((details.recoveries ?? []).map((recovery) => [String(recovery.fault), recovery]));
    const rows = details.phases.map((stats): GamedayRow => {
      const name = String(stats.name ?? '');
      const kind = String(stats.kind ?? '');
      const found = kind === 'fault' ? recoveries.get(name) : undefined;
      const recovery = found ? (finite(found.recoveryMs) ?? 'never') : undefined;
      const row: GamedayRow = { phase: typeof stats.label === 'string' ? `${name} (${stats.label})` : name, kind };
      const availability = finite(stats.availability);
      const p95Ms = finite(stats.p95);
      const errorRate = finite(stats.errorRate);
      return {
        ...row,
        ...(availability !== undefined && { availability }),
        ...(p95Ms !== undefined && { p95Ms }),
        ...(errorRate !== undefined && { errorRate }),
        ...(recovery !== undefined && { recovery }),
      };
    });
    tables.push({ gameday: String(details.gameday ?? 'chaos'), rows });
  }
  return tables;
}

/** How every report words the recovery time. */
export const recoveryNote =
  "Recovery time: from the fault's end until every following second of the recovery stretch is at the recovery availability SLO (C06).";
