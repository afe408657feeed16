/**
 * What index.html's script (app.ts) reads: the run result shaped for the page. Clauses come
 * resolved to links, durations come formatted (one formatter for every report: the page has
 * none of its own), and the timeline comes as the chart points the SVG was drawn from, so the
 * page never parses its own markup back. Types only cross into app.ts (`import type`), so the
 * page stays one type-stripped script with no module loading.
 */
import { formatDuration } from '../../lib/duration.ts';
import type { CheckResult, Exchange, Outcome, RunResult, Summary, TimelineFault } from '../../results/model.ts';
import { outcomes } from '../../results/model.ts';
import { suitesOf, verdictOf } from '../format.ts';
import { specClauseUrl } from '../spec-links.ts';
import { timelinePlot } from './charts.ts';

export interface HtmlExchange extends Exchange {
  /** The response time, formatted; null when no response came. */
  time: string | null;
}

export interface HtmlCheck extends Omit<CheckResult, 'spec' | 'evidence'> {
  spec: { clause: string; url: string | null }[];
  /** durationMs, formatted. */
  time: string;
  evidence: { exchanges: HtmlExchange[]; notes: string[] };
}

export interface HtmlChartPoint {
  /** Milliseconds since the run started, and the measured value. */
  t: number;
  value: number;
  /** Where the point sits in the chart's SVG (viewBox units). */
  x: number;
  y: number;
  /** t, formatted. */
  at: string;
}

export interface HtmlChart {
  /** The svg.timeline[data-series] it belongs to. */
  series: number;
  name: string;
  unit: string;
  points: HtmlChartPoint[];
}

export interface HtmlData {
  run: {
    runId: string;
    target: RunResult['target'];
    verdict: 'passed' | 'failed';
    summary: Summary;
    suites: string[];
    /** How many results an --expect entry covered. */
    expected: number;
  };
  outcomes: { id: Outcome; title: string }[];
  checks: HtmlCheck[];
  timeline: { charts: HtmlChart[]; faults: TimelineFault[] } | null;
}

export const outcomeTitles: Record<Outcome, string> = {
  pass: 'Passed',
  fail: 'Failed',
  warn: 'Warnings',
  skip: 'Skipped',
  error: 'Errors',
};

function htmlCheck(check: CheckResult): HtmlCheck {
  return {
    ...check,
    spec: check.spec.map((clause) => ({ clause, url: specClauseUrl(clause) ?? null })),
    time: formatDuration(check.durationMs),
    evidence: {
      notes: check.evidence.notes,
      exchanges: check.evidence.exchanges.map((exchange) => ({
        ...exchange,
        time: exchange.response ? formatDuration(exchange.response.durationMs) : null,
      })),
    },
  };
}

export function htmlData(result: RunResult): HtmlData {
  const timeline = result.timeline;
  return {
    run: {
      runId: result.runId,
      target: result.target,
      verdict: verdictOf(result),
      summary: result.summary,
      suites: suitesOf(result),
      expected: result.checks.filter((check) => check.expected).length,
    },
    outcomes: outcomes.map((outcome) => ({ id: outcome, title: outcomeTitles[outcome] })),
    checks: result.checks.map(htmlCheck),
    timeline: timeline
      ? {
          charts: timeline.series.map((series, index) => ({
            series: index,
            name: series.name,
            unit: series.unit,
            points: timelinePlot(series, timeline).points.map((point) => ({ ...point, at: formatDuration(point.t) })),
          })),
          faults: timeline.faults,
        }
      : null,
  };
}
