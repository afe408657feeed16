/**
 * Wording and ordering shared by the reporters, so the console, Markdown, JUnit and HTML
 * outputs name outcomes, order checks and summarise evidence the same way.
 */
import type { CheckResult, Evidence, Outcome, RunResult, Summary } from '../results/model.ts';
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

/** 7 ms, 340 ms, 1.24 s, 12.3 s, 2 m 05 s. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes} m ${String(seconds).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} m`;
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
