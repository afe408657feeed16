/**
 * The HTML report's charts, drawn as inline SVG on the server side: no chart library, no fonts,
 * nothing to fetch, and they render (and print) even with JavaScript off. Colours come from CSS
 * classes (o-pass, o-fail, ...) so the stylesheet owns the palette, dark mode included.
 * Hand-written because any charting library would have to be inlined whole into every report.
 */

import { formatDuration } from '../../lib/duration.ts';
import type { CheckResult, Summary, Timeline, TimelineSeries } from '../../results/model.ts';
import { outcomes } from '../../results/model.ts';
import { escapeHtml } from '../escape.ts';
import { outcomePhrases } from '../format.ts';

const round = (value: number) => Math.round(value * 10) / 10;

/** A ring of outcome shares around the total. Segments use the circumference-100 circle trick. */
export function outcomeDonut(summary: Summary): string {
  const total = outcomes.reduce((sum, outcome) => sum + summary[outcome], 0);
  const radius = 100 / (2 * Math.PI);
  let offset = 25; // start at 12 o'clock
  const segments = outcomes
    .filter((outcome) => summary[outcome] > 0)
    .map((outcome) => {
      const share = (summary[outcome] / total) * 100;
      const segment = `<circle class="seg o-${outcome}" cx="21" cy="21" r="${round(radius * 1000) / 1000}" stroke-dasharray="${round(share)} ${round(100 - share)}" stroke-dashoffset="${round(offset)}"><title>${summary[outcome]} ${escapeHtml(summary[outcome] === 1 ? outcomePhrases[outcome].one : outcomePhrases[outcome].many)}</title></circle>`;
      offset -= share;
      return segment;
    });
  return [
    `<svg class="donut" viewBox="0 0 42 42" role="img" aria-label="${total} checks by outcome">`,
    `<circle class="track" cx="21" cy="21" r="${round(radius * 1000) / 1000}"/>`,
    ...segments,
    `<text x="21" y="21.5" class="donut-total">${total}</text>`,
    `<text x="21" y="27" class="donut-label">${total === 1 ? 'check' : 'checks'}</text>`,
    '</svg>',
  ].join('');
}

/** Horizontal bars for the slowest checks, coloured by outcome. */
export function durationBars(checks: readonly CheckResult[], limit = 12): string {
  const slowest = [...checks].sort((a, b) => b.durationMs - a.durationMs).slice(0, limit);
  if (slowest.length === 0) return '<p class="muted">No checks ran.</p>';
  const max = Math.max(1, ...slowest.map((check) => check.durationMs));
  const rowHeight = 22;
  const labelWidth = 262;
  const barWidth = 210;
  const width = labelWidth + barWidth + 70;
  const height = slowest.length * rowHeight + 4;
  const rows = slowest.map((check, index) => {
    const y = index * rowHeight + 2;
    const length = Math.max(1.5, (check.durationMs / max) * barWidth);
    const label = check.id.length > 34 ? `${check.id.slice(0, 33)}…` : check.id;
    return [
      `<g class="bar-row" data-check-id="${escapeHtml(check.id)}">`,
      `<title>${escapeHtml(`${check.id} — ${formatDuration(check.durationMs)} (${check.outcome})`)}</title>`,
      `<text x="${labelWidth - 8}" y="${y + 15}" class="bar-label">${escapeHtml(label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${round(length)}" height="${rowHeight - 8}" rx="2" class="bar o-${check.outcome}"/>`,
      `<text x="${round(labelWidth + length + 6)}" y="${y + 15}" class="bar-value">${escapeHtml(formatDuration(check.durationMs))}</text>`,
      '</g>',
    ].join('');
  });
  return `<svg class="bars" viewBox="0 0 ${width} ${height}" width="${width}" role="img" aria-label="The ${slowest.length} slowest checks">${rows.join('')}</svg>`;
}

/** 1, 2, 5 × 10^n: a round step giving about `count` ticks up to max. */
export function niceStep(max: number, count: number): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const step = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10;
  return step * magnitude;
}

function formatValue(value: number): string {
  if (Math.abs(value) >= 10_000) return `${round(value / 1000)}k`;
  return Number.isInteger(value) ? String(value) : String(round(value));
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  if (seconds >= 120) return `${round(seconds / 60)}m`;
  return `${round(seconds)}s`;
}

export const timelineGeometry = { width: 640, height: 210, left: 48, right: 14, top: 26, bottom: 26 } as const;

/** A series as the chart draws it: its scale and every finite point in pixels (viewBox units). */
export interface TimelinePlot {
  spanMs: number;
  yStep: number;
  yMax: number;
  x(t: number): number;
  y(value: number): number;
  /** The points drawn, in time order: [t, value] and where they sit in the SVG. */
  points: { t: number; value: number; x: number; y: number }[];
}

/** The scale of one series on the run's shared time axis, and its points placed on it. */
export function timelinePlot(series: TimelineSeries, timeline: Timeline): TimelinePlot {
  const { width, height, left, right, top, bottom } = timelineGeometry;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const spanMs = Math.max(
    1,
    ...timeline.series.flatMap((each) => each.points.map(([t]) => t)),
    ...timeline.faults.map((fault) => fault.endMs),
  );
  const values = series.points.map(([, value]) => value).filter(Number.isFinite);
  // The SLO line stays on the chart even when every point is far below it.
  const highest = Math.max(0, ...values, series.threshold?.value ?? 0);
  const yStep = niceStep(highest, 4);
  const yMax = Math.max(yStep, Math.ceil(highest / yStep) * yStep);
  const x = (t: number) => round(left + (Math.min(Math.max(t, 0), spanMs) / spanMs) * plotWidth);
  const y = (value: number) => round(top + plotHeight - (Math.max(0, value) / yMax) * plotHeight);
  // JSON turns NaN into null on the way to the page: such points are not drawn, nor offered to the read-out.
  const points = series.points
    .filter(([t, value]) => Number.isFinite(t) && Number.isFinite(value))
    .map(([t, value]) => ({ t, value, x: x(t), y: y(value) }));
  return { spanMs, yStep, yMax, x, y, points };
}

/** One area chart per series on a shared time axis, with the fault windows shaded and named. */
export function timelineChart(series: TimelineSeries, timeline: Timeline, index: number): string {
  const { width, height, left, right, top, bottom } = timelineGeometry;
  const plotHeight = height - top - bottom;
  const { spanMs, yStep, yMax, x, y, points } = timelinePlot(series, timeline);
  const baseline = top + plotHeight;

  const parts: string[] = [];
  parts.push(
    `<svg class="timeline" viewBox="0 0 ${width} ${height}" role="img" data-series="${index}" ` +
      `aria-label="${escapeHtml(`${series.name} (${series.unit}) over the run`)}">`,
  );
  parts.push(
    `<defs><pattern id="hatch-${index}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
      '<line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>',
  );
  for (let value = 0; value <= yMax + yStep / 2; value += yStep) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(value)}" y2="${y(value)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${y(value) + 4}" class="axis axis-y">${formatValue(value)}</text>`);
  }
  const xStep = niceStep(spanMs, 8);
  for (let t = 0; t <= spanMs + 1; t += xStep) {
    parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${baseline}" y2="${baseline + 4}" class="tick"/>`);
    parts.push(`<text x="${x(t)}" y="${baseline + 17}" class="axis axis-x">${formatSeconds(t)}</text>`);
  }
  for (const fault of timeline.faults) {
    const x0 = x(fault.startMs);
    const faultWidth = Math.max(1, x(fault.endMs) - x0);
    const label = `${fault.name} · ${formatSeconds(fault.startMs)}–${formatSeconds(fault.endMs)}`;
    parts.push(
      `<g class="fault"><title>${escapeHtml(label)}</title>` +
        `<rect x="${x0}" y="${top}" width="${round(faultWidth)}" height="${plotHeight}" class="fault-fill"/>` +
        `<rect x="${x0}" y="${top}" width="${round(faultWidth)}" height="${plotHeight}" fill="url(#hatch-${index})"/>` +
        `<text x="${round(x0 + 3)}" y="${top - 6}" class="fault-label">${escapeHtml(fault.name)}</text></g>`,
    );
  }
  if (points.length > 0) {
    const line = points.map((point, i) => `${i === 0 ? 'M' : 'L'}${point.x},${point.y}`).join(' ');
    const first = points[0]!;
    const last = points[points.length - 1]!;
    parts.push(`<path d="${line} L${last.x},${baseline} L${first.x},${baseline} Z" class="area area-${index % 4}"/>`);
    parts.push(`<path d="${line}" class="line line-${index % 4}"/>`);
  }
  if (series.threshold) {
    const at = y(series.threshold.value);
    parts.push(
      `<g class="slo-line"><title>${escapeHtml(series.threshold.label)}</title>` +
        `<line x1="${left}" x2="${width - right}" y1="${at}" y2="${at}" class="threshold"/>` +
        `<text x="${width - right}" y="${at - 4}" class="threshold-label">${escapeHtml(series.threshold.label)}</text></g>`,
    );
  }
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${baseline}" y2="${baseline}" class="axis-line"/>`);
  parts.push(`<line class="cursor" x1="0" x2="0" y1="${top}" y2="${baseline}" visibility="hidden"/>`);
  parts.push(`<circle class="cursor-dot line-${index % 4}" r="3.5" cx="0" cy="0" visibility="hidden"/>`);
  parts.push('</svg>');
  return parts.join('');
}

/** A thin bar split by outcome, for one suite's row. */
export function stackedBar(counts: Summary, width = 160, height = 10): string {
  const total = outcomes.reduce((sum, outcome) => sum + counts[outcome], 0);
  if (total === 0)
    return `<svg class="stack" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" aria-hidden="true"><rect width="${width}" height="${height}" rx="2" class="track-fill"/></svg>`;
  let x = 0;
  const parts = outcomes
    .filter((outcome) => counts[outcome] > 0)
    .map((outcome) => {
      const part = (counts[outcome] / total) * width;
      const rect = `<rect x="${round(x)}" width="${round(part)}" height="${height}" class="bar o-${outcome}"><title>${counts[outcome]} ${escapeHtml(outcome)}</title></rect>`;
      x += part;
      return rect;
    });
  return `<svg class="stack" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(
    outcomes.map((outcome) => `${counts[outcome]} ${outcome}`).join(', '),
  )}">${parts.join('')}</svg>`;
}
