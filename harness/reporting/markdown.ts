/**
 * summary.md: GitHub-flavoured Markdown for a CI step summary ($GITHUB_STEP_SUMMARY) or a PR
 * comment. It leads with the verdict and what needs attention, stays short (row caps; PR
 * comments are limited to 65 536 characters) and links to index.html for everything else.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDuration } from '../lib/duration.ts';
import type { CheckResult, Outcome, Reporter, RunResult } from '../results/model.ts';
import { outcomes } from '../results/model.ts';
import {
  bySeverity,
  expectedChecks,
  expectedSuffix,
  fixedLine,
  gamedayTables,
  outcomePhrases,
  phasesLine,
  recoveryNote,
  suitesOf,
  verdictOf,
} from './format.ts';
import { specClauseUrl } from './spec-links.ts';

export const markdownFile = 'summary.md';

export interface MarkdownOptions {
  /** Where the HTML report will be reachable (an artifact URL in CI); `index.html` by default. */
  reportUrl?: string;
  /** Rows in the "needs attention" table before "and N more". */
  attentionRows?: number;
  /** Rows in the collapsed table of passed checks. */
  detailRows?: number;
  /** Characters of a reason shown in a table cell. */
  reasonChars?: number;
}

const emoji: Record<Outcome, string> = { pass: '✅', fail: '❌', warn: '⚠️', skip: '⏭️', error: '💥' };
const outcomeNames: Record<Outcome, string> = { pass: 'pass', fail: 'fail', warn: 'warn', skip: 'skip', error: 'error' };

/**
 * Text for a table cell: one line, no pipes breaking the table, no HTML or Markdown syntax
 * from a target's answer taking effect.
 */
export function markdownCell(text: string, maxChars = Number.POSITIVE_INFINITY): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  let oneLine = text.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '');
  if (oneLine.length > maxChars) oneLine = `${oneLine.slice(0, Math.max(0, maxChars - 1)).trimEnd()}…`;
  return oneLine
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#~!])/g, '\\$1');
}

function specCell(spec: readonly string[]): string {
  return spec
    .map((clause) => {
      const url = specClauseUrl(clause);
      return url ? `[${markdownCell(clause)}](${url})` : markdownCell(clause);
    })
    .join(', ');
}

function checkRow(check: CheckResult, reasonChars: number): string {
  const cells = [
    `${emoji[check.outcome]} ${outcomeNames[check.outcome]}`,
    `\`${check.id.replace(/[`|]/g, "'")}\``,
    check.level,
    markdownCell(check.reason, reasonChars),
    specCell(check.spec),
  ];
  return `| ${cells.join(' | ')} |`;
}

const checkTableHead = ['| Outcome | Check | Level | Reason | Spec |', '| --- | --- | --- | --- | --- |'];

export function toMarkdown(result: RunResult, options: MarkdownOptions = {}): string {
  const reportUrl = options.reportUrl ?? 'index.html';
  const attentionRows = options.attentionRows ?? 25;
  const detailRows = options.detailRows ?? 100;
  const reasonChars = options.reasonChars ?? 160;
  const failed = verdictOf(result) === 'failed';
  const total = result.checks.length;
  const lines: string[] = [];

  lines.push(`## ${failed ? '❌' : '✅'} tokenproof ${failed ? 'FAILED' : 'passed'}: ${markdownCell(result.target.name)}`);
  lines.push('');
  const counts = outcomes
    .filter((outcome) => result.summary[outcome] > 0)
    .map((outcome) => {
      const count = result.summary[outcome];
      return `${emoji[outcome]} **${count}** ${count === 1 ? outcomePhrases[outcome].one : outcomePhrases[outcome].many}`;
    });
  lines.push(
    `**${total} ${total === 1 ? 'check' : 'checks'}**${counts.length ? ` · ${counts.join(' · ')}` : ''}${expectedSuffix(result.checks)}`,
  );
  lines.push('');
  const breached = result.slo.filter((verdict) => !verdict.ok).length;
  const sloPart = result.slo.length ? ` · SLO ${result.slo.length - breached}/${result.slo.length} held` : '';
  lines.push(
    `Run \`${markdownCell(result.runId)}\` · ${formatDuration(result.durationMs)} · tokenproof ${markdownCell(result.tool.version)}${sloPart} · [full report](${reportUrl})`,
  );

  if (result.phases?.length) lines.push('', `Phases: ${markdownCell(phasesLine(result.phases))}`);

  const attention = bySeverity(result.checks).filter((check) => check.outcome !== 'pass' && !check.expected);
  if (attention.length > 0) {
    lines.push('', '### Needs attention', '', ...checkTableHead);
    for (const check of attention.slice(0, attentionRows)) lines.push(checkRow(check, reasonChars));
    if (attention.length > attentionRows) {
      lines.push('', `… and ${attention.length - attentionRows} more non-passing checks in the [full report](${reportUrl}).`);
    }
  }

  const fixed = result.fixed ?? [];
  if (fixed.length > 0) {
    const strict = result.strictExpect ? ' (fails the run: --strict-expect)' : '';
    lines.push('', `### Fixed: listed as expected, no longer happening${strict}`, '');
    for (const entry of fixed) {
      lines.push(`- ${markdownCell(fixedLine(entry))}${entry.note ? ` · note: ${markdownCell(entry.note)}` : ''}`);
    }
  }

  const expected = bySeverity(expectedChecks(result.checks));
  if (expected.length > 0) {
    lines.push(
      '',
      '### Expected findings',
      '',
      'Listed in the expectations file (--expect): shown with their note, they do not fail the run.',
      '',
      '| Outcome | Check | Level | Expected | Reason |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const check of expected.slice(0, attentionRows)) {
      const cells = [
        `${emoji[check.outcome]} ${outcomeNames[check.outcome]}`,
        `\`${check.id.replace(/[`|]/g, "'")}\``,
        check.level,
        `expected${check.expected?.note ? `: ${markdownCell(check.expected.note, reasonChars)}` : ''}`,
        markdownCell(check.reason, reasonChars),
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
    if (expected.length > attentionRows)
      lines.push('', `… and ${expected.length - attentionRows} more in the [full report](${reportUrl}).`);
  }

  if (result.slo.length > 0) {
    lines.push('', '### SLOs', '', '| | SLO | Threshold | Observed |', '| --- | --- | --- | --- |');
    for (const verdict of result.slo) {
      lines.push(
        `| ${verdict.ok ? '✅' : '❌'} | ${markdownCell(verdict.name)} | ${markdownCell(verdict.threshold)} | ${markdownCell(verdict.observed)} |`,
      );
    }
  }

  lines.push(...gamedaySections(result));

  const suites = suitesOf(result);
  if (suites.length > 0) {
    lines.push(
      '',
      '<details><summary>Suites</summary>',
      '',
      '| Suite | Checks | ✅ | ❌ | ⚠️ | ⏭️ | 💥 |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const suite of suites) {
      const checks = result.checks.filter((check) => check.suite === suite);
      const count = (outcome: Outcome) => checks.filter((check) => check.outcome === outcome).length || '';
      lines.push(
        `| ${markdownCell(suite)} | ${checks.length} | ${count('pass')} | ${count('fail')} | ${count('warn')} | ${count('skip')} | ${count('error')} |`,
      );
    }
    lines.push('', '</details>');
  }

  const passed = result.checks.filter((check) => check.outcome === 'pass');
  if (passed.length > 0) {
    lines.push(
      '',
      `<details><summary>${passed.length} passed ${passed.length === 1 ? 'check' : 'checks'}</summary>`,
      '',
      ...checkTableHead,
    );
    for (const check of passed.slice(0, detailRows)) lines.push(checkRow(check, reasonChars));
    if (passed.length > detailRows)
      lines.push('', `… and ${passed.length - detailRows} more in the [full report](${reportUrl}).`);
    lines.push('', '</details>');
  }

  lines.push('');
  return lines.join('\n');
}

const percentCell = (value: number | undefined) => (value === undefined ? '–' : `${(value * 100).toFixed(2)} %`);
const msCell = (value: number | undefined) => (value === undefined ? '–' : `${Math.round(value)} ms`);

/** One table per game day: its phases (baseline, fault, recovery) with availability, p95, error rate and recovery time. */
function gamedaySections(result: RunResult): string[] {
  const lines: string[] = [];
  for (const table of gamedayTables(result)) {
    lines.push(
      '',
      `### Game day: ${markdownCell(table.gameday)}`,
      '',
      '| Phase | Kind | Availability | p95 | Error rate | Recovery time |',
      '| --- | --- | ---: | ---: | ---: | ---: |',
    );
    for (const row of table.rows) {
      const recoveryCell =
        row.kind !== 'fault' ? '' : row.recovery === undefined ? '–' : row.recovery === 'never' ? 'never' : msCell(row.recovery);
      const cells = [
        markdownCell(row.phase),
        markdownCell(row.kind),
        percentCell(row.availability),
        msCell(row.p95Ms),
        percentCell(row.errorRate),
        recoveryCell,
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
    lines.push('', recoveryNote);
  }
  return lines;
}

export function markdownReporter(options: MarkdownOptions = {}): Reporter {
  return {
    name: 'markdown',
    async onEnd(result, outDir) {
      const file = join(outDir, markdownFile);
      await writeFile(file, toMarkdown(result, options));
      return [file];
    },
  };
}
