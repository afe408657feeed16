/**
 * The console reporter: progress while the run goes (one line per check, as it ends) and a
 * final verdict line. Plain text when the stream is not a terminal or NO_COLOR is set, so CI
 * logs stay free of escape codes.
 */
import { relative } from 'node:path';
import { styleText } from 'node:util';
import { formatDuration } from '../lib/duration.ts';
import {
  type CheckResult,
  countsAgainstRun,
  emptySummary,
  type Outcome,
  type PhaseName,
  type PhaseResult,
  type Reporter,
  type RunMeta,
  type RunResult,
} from '../results/model.ts';
import {
  bySeverity,
  expectedChecks,
  expectedSuffix,
  fixedLine,
  outcomeMarks,
  suitesOf,
  summaryPhrase,
  verdictOf,
} from './format.ts';

export interface ConsoleStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface ConsoleReporterOptions {
  /** Where to write; process.stdout by default. */
  stream?: ConsoleStream;
  /** Force colours on or off; by default on only for a TTY without NO_COLOR. */
  color?: boolean;
  env?: Record<string, string | undefined>;
  /** How many non-passing checks the final recap lists before "and N more". */
  recapLimit?: number;
}

type Style = Parameters<typeof styleText>[0];

const outcomeStyles: Record<Outcome, Style> = {
  pass: 'green',
  fail: 'red',
  warn: 'yellow',
  skip: 'gray',
  error: 'magenta',
};

/**
 * Reasons and ids can carry what a target sent back; control characters (ANSI escapes
 * included) must not reach a terminal, where they could rewrite or hide earlier lines.
 */
export function terminalSafe(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '').replace(/[\r\n\t]+/g, ' ');
}

/** https://no-color.org: any non-empty NO_COLOR turns colours off; FORCE_COLOR=0 does too. */
export function colorEnabled(stream: ConsoleStream, env: Record<string, string | undefined>): boolean {
  if (env['NO_COLOR']) return false;
  if (env['FORCE_COLOR'] === '0') return false;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

export function consoleReporter(options: ConsoleReporterOptions = {}): Reporter {
  const stream = options.stream ?? process.stdout;
  const color = options.color ?? colorEnabled(stream, options.env ?? process.env);
  const recapLimit = options.recapLimit ?? 20;
  const paint = (style: Style, text: string) => (color ? styleText(style, text, { validateStream: false }) : text);
  const println = (line = '') => stream.write(`${line}\n`);

  let planned: number | undefined;
  let done = 0;
  const counts = emptySummary();

  function progress(): string {
    const tallies = (['fail', 'error', 'warn'] as const)
      .filter((outcome) => counts[outcome] > 0)
      .map((outcome) => paint(outcomeStyles[outcome], `${outcomeMarks[outcome]}${counts[outcome]}`));
    // Load and chaos phases decide their checks as they measure: past the planned ones, count without a total.
    const position =
      planned === undefined || done > planned ? `${done}` : `${String(done).padStart(String(planned).length)}/${planned}`;
    return paint('dim', '[') + [position, ...tallies].join(' ') + paint('dim', ']');
  }

  function checkLine(check: CheckResult): string {
    const mark = paint(outcomeStyles[check.outcome], outcomeMarks[check.outcome]);
    const duration = paint('dim', `(${formatDuration(check.durationMs)})`);
    const reason = check.outcome === 'pass' ? '' : ` ${paint('dim', '—')} ${terminalSafe(check.reason)}`;
    const level = check.outcome === 'pass' ? '' : ` ${paint('dim', check.level)}`;
    return `${mark} ${terminalSafe(check.id)}${level} ${duration}${reason}`;
  }

  return {
    name: 'console',

    onBegin(meta: RunMeta, plannedChecks: { id: string; suite: string }[]) {
      planned = plannedChecks.length;
      const suites = [...new Set(plannedChecks.map((check) => check.suite))];
      println(
        `${paint('bold', `${meta.tool.name} ${meta.tool.version}`)} · ${terminalSafe(meta.target.name)} · ` +
          `${planned} ${planned === 1 ? 'check' : 'checks'} planned in ${suites.length} ${suites.length === 1 ? 'suite' : 'suites'}` +
          (suites.length ? paint('dim', ` (${terminalSafe(suites.join(', '))})`) : ''),
      );
    },

    onPhaseBegin(phase: { name: PhaseName }) {
      println(paint('bold', `▶ ${phase.name} phase`));
    },

    onPhaseEnd(phase: PhaseResult) {
      const checks = phase.checks.length;
      const parts = [
        ...(checks > 0 ? [`${checks} ${checks === 1 ? 'check' : 'checks'}`] : []),
        ...(phase.slo.length > 0 ? [`${phase.slo.length} ${phase.slo.length === 1 ? 'SLO' : 'SLOs'}`] : []),
      ];
      println(
        paint('bold', `■ ${phase.name} phase done`) +
          paint('dim', ` · ${[...parts, formatDuration(phase.durationMs)].join(' · ')}`),
      );
    },

    onCheckEnd(check: CheckResult) {
      done++;
      counts[check.outcome]++;
      println(`${progress()} ${checkLine(check)}`);
    },

    onEnd(result: RunResult, outDir: string) {
      const failed = verdictOf(result) === 'failed';
      const notPassing = bySeverity(result.checks).filter(countsAgainstRun);
      if (notPassing.length > 0) {
        println();
        println(paint('bold', 'Failures and errors:'));
        for (const check of notPassing.slice(0, recapLimit)) println(`  ${checkLine(check)}`);
        if (notPassing.length > recapLimit) println(paint('dim', `  … and ${notPassing.length - recapLimit} more`));
      }
      const expected = bySeverity(expectedChecks(result.checks));
      if (expected.length > 0) {
        println();
        println(paint('bold', 'Expected findings (--expect), not failing the run:'));
        for (const check of expected.slice(0, recapLimit)) {
          const note = check.expected?.note
            ? ` ${paint('dim', '·')} expected: ${terminalSafe(check.expected.note)}`
            : ' · expected';
          println(`  ${checkLine(check)}${note}`);
        }
        if (expected.length > recapLimit) println(paint('dim', `  … and ${expected.length - recapLimit} more`));
      }
      const fixed = result.fixed ?? [];
      if (fixed.length > 0) {
        println();
        println(
          paint(
            'bold',
            `Fixed: listed in --expect but no longer happening${result.strictExpect ? ' (fails the run: --strict-expect)' : ''}:`,
          ),
        );
        for (const entry of fixed)
          println(`  ${paint(result.strictExpect ? 'red' : 'green', '✓')} ${terminalSafe(fixedLine(entry))}`);
      }
      const breached = result.slo.filter((verdict) => !verdict.ok);
      for (const verdict of breached) {
        println(
          `  ${paint('red', '✗')} SLO ${terminalSafe(verdict.name)}: observed ${terminalSafe(verdict.observed)}, threshold ${terminalSafe(verdict.threshold)}`,
        );
      }
      println();
      const verdict = failed ? paint(['bold', 'red'], 'FAILED') : paint(['bold', 'green'], 'PASSED');
      const slo = result.slo.length ? ` · SLO ${result.slo.length - breached.length}/${result.slo.length} held` : '';
      const suites = suitesOf(result).length;
      println(
        `${verdict} ${summaryPhrase(result.summary)}${expectedSuffix(result.checks)}${fixed.length ? ` · ${fixed.length} fixed` : ''} in ${suites} ${suites === 1 ? 'suite' : 'suites'}${slo} · ${formatDuration(result.durationMs)}`,
      );
      const shown = relative(process.cwd(), outDir) || '.';
      println(paint('dim', `reports: ${shown.startsWith('..') ? outDir : shown}`));
      return [];
    },
  };
}
