/**
 * index.html: one self-contained file that opens from disk, offline. The stylesheet and script
 * (html/style.css, html/app.ts with its types stripped) are inlined and allowed by hash in a
 * Content-Security-Policy that forbids every fetch, so the page cannot load anything even if a
 * value slipped through escaping. The run's data (html/data.ts: checks, formatted durations, the
 * timeline's chart points) travels as JSON in a <script type="application/json"> element (with
 * `<` escaped); the script builds the filterable check table from it. The charts are inline SVG
 * drawn here (html/charts.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import { formatDuration } from '../lib/duration.ts';
import type { PhaseSummary, Reporter, RunResult } from '../results/model.ts';
import { outcomes, summarize } from '../results/model.ts';
import { escapeHtml, jsonForScript } from './escape.ts';
import {
  expectedChecks,
  fixedAdvice,
  fixedLine,
  gamedayTables,
  outcomePhrases,
  recoveryNote,
  suitesOf,
  verdictOf,
} from './format.ts';
import { durationBars, outcomeDonut, stackedBar, timelineChart } from './html/charts.ts';
import { htmlData, outcomeTitles } from './html/data.ts';

export { htmlData } from './html/data.ts';

export const htmlFile = 'index.html';

const asset = (name: string) => readFileSync(new URL(`./html/${name}`, import.meta.url), 'utf8');

/**
 * The page script: html/app.ts with its types stripped (types become whitespace, so positions in
 * an error message still match the source). No bundler: app.ts imports types only.
 * stripTypeScriptTypes is still flagged experimental in Node 24 and says so on stderr once per
 * process; CI logs (and the CLI's clean stderr) should not carry that, so that one warning is
 * dropped while the call runs, and every other warning passes.
 */
export function pageScript(source = asset('app.ts')): string {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === 'ExperimentalWarning' && String(warning).startsWith('stripTypeScriptTypes')) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emitWarning;
  }
}

let assets: { css: string; js: string } | undefined;
function loadAssets() {
  assets ??= { css: asset('style.css'), js: pageScript() };
  return assets;
}

const cspHash = (content: string) => `'sha256-${createHash('sha256').update(content, 'utf8').digest('base64')}'`;

function metaList(result: RunResult): string {
  const started = new Date(result.startedAt);
  const startedText = Number.isNaN(started.getTime())
    ? result.startedAt
    : `${started.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
  const items: [string, string, boolean?][] = [
    ['Run', result.runId, true],
    ['Started', startedText],
    ['Duration', formatDuration(result.durationMs)],
    ...(result.target.issuer ? ([['Issuer', result.target.issuer, true]] as [string, string, boolean][]) : []),
    ...(result.target.resourceServer
      ? ([['Resource server', result.target.resourceServer, true]] as [string, string, boolean][])
      : []),
    ['Command', result.command, true],
  ];
  return `<dl class="meta">${items
    .map(
      ([term, value, mono]) =>
        `<div><dt>${escapeHtml(term)}</dt><dd${mono ? ' class="mono"' : ''}>${escapeHtml(value)}</dd></div>`,
    )
    .join('')}</dl>`;
}

function outcomeCards(result: RunResult): string {
  return `<div class="cards" role="group" aria-label="Filter by outcome">${outcomes
    .map((outcome) => {
      const count = result.summary[outcome];
      const label = count === 1 ? outcomePhrases[outcome].one : outcomePhrases[outcome].many;
      const expected = result.checks.filter((check) => check.outcome === outcome && check.expected).length;
      const expectedNote = expected > 0 ? `<span class="x">${expected} expected</span>` : '';
      return `<button type="button" class="card c-${outcome}${count === 0 ? ' zero' : ''}" data-outcome="${outcome}" title="Show only ${escapeHtml(label)} checks"><span class="n">${count}</span><span class="l">${escapeHtml(outcomeTitles[outcome])}</span>${expectedNote}</button>`;
    })
    .join('')}</div>`;
}

function sloTable(result: RunResult): string {
  if (result.slo.length === 0) return '<div class="slo"><h3>SLOs</h3><p class="muted">No SLOs were judged in this run.</p></div>';
  const held = result.slo.filter((verdict) => verdict.ok).length;
  const rows = result.slo
    .map(
      (verdict) =>
        `<tr class="${verdict.ok ? 'held' : 'breached'}"><td><span class="ok-mark ${verdict.ok ? 'ok' : 'breached'}">${verdict.ok ? '✓' : '✗'}</span></td>` +
        `<td class="mono">${escapeHtml(verdict.name)}</td><td>${escapeHtml(verdict.threshold)}</td><td>${escapeHtml(verdict.observed)}</td></tr>`,
    )
    .join('');
  return (
    `<div class="slo"><h3>SLOs <span class="muted">${held}/${result.slo.length} held</span></h3>` +
    `<table><thead><tr><th></th><th>SLO</th><th>Threshold</th><th>Observed</th></tr></thead><tbody>${rows}</tbody></table></div>`
  );
}

function phasesTable(result: RunResult): string {
  const phases: readonly PhaseSummary[] = result.phases ?? [];
  if (phases.length === 0) return '';
  const rows = phases
    .map((phase) => {
      const checks = result.checks.filter((check) => check.phase === phase.name).length;
      return (
        `<tr data-phase="${escapeHtml(phase.name)}"><td>${escapeHtml(phase.name)}</td><td class="num">+${escapeHtml(formatDuration(phase.startMs))}</td>` +
        `<td class="num">${escapeHtml(formatDuration(phase.durationMs))}</td><td class="num">${checks || ''}</td></tr>`
      );
    })
    .join('');
  return (
    `<div class="phases"><h3>Phases <span class="muted">${phases.length} ran</span></h3>` +
    `<table><thead><tr><th>Phase</th><th class="num">Started</th><th class="num">Duration</th><th class="num">Checks</th></tr></thead><tbody>${rows}</tbody></table></div>`
  );
}

/** --expect entries that no longer happen: the list can lose them. */
function fixedSection(result: RunResult): string {
  const fixed = result.fixed ?? [];
  if (fixed.length === 0) return '';
  const strict = result.strictExpect
    ? '<p class="fixed-strict">Under --strict-expect these fail the run.</p>'
    : '<p class="muted">They do not fail the run (add --strict-expect to make them).</p>';
  const items = fixed
    .map(
      (entry) =>
        `<li data-fixed="${escapeHtml(entry.check)}"><span class="badge fixed">fixed</span> ${escapeHtml(fixedLine(entry))}${entry.note ? ` <span class="muted">· note: ${escapeHtml(entry.note)}</span>` : ''}</li>`,
    )
    .join('');
  return `<section class="panel" id="fixed"><h2>Fixed <span class="muted">listed as expected, no longer happening: ${escapeHtml(fixedAdvice)}</span></h2>${strict}<ul class="fixed-list">${items}</ul></section>`;
}

function timelineSection(result: RunResult): string {
  const timeline = result.timeline;
  if (!timeline || timeline.series.length === 0) return '';
  const charts = timeline.series
    .map(
      (series, index) =>
        `<figure class="chart"><figcaption class="chart-title"><span>${escapeHtml(series.name)}</span><span class="muted">${escapeHtml(series.unit)}</span><span class="readout" data-readout="${index}"></span></figcaption>${timelineChart(series, timeline, index)}</figure>`,
    )
    .join('');
  const legend = timeline.faults.length
    ? `<div class="legend"><span><span class="swatch fault-swatch"></span>fault windows: ${timeline.faults
        .map((fault) => `${escapeHtml(fault.name)} (${formatDuration(fault.startMs)} – ${formatDuration(fault.endMs)})`)
        .join(', ')}</span></div>`
    : '';
  return `<section class="panel" id="timeline"><h2>Timeline <span class="muted">load over the run, fault windows shaded</span></h2><div class="charts">${charts}</div>${legend}</section>`;
}

/** One table per game day (format.ts gamedayTables, as in summary.md): each phase's availability as a bar, p95, error rate, recovery. */
function gamedaySection(result: RunResult): string {
  const tables = gamedayTables(result);
  if (tables.length === 0) return '';
  const percent = (value: number | undefined) => (value === undefined ? '–' : `${(value * 100).toFixed(2)} %`);
  const ms = (value: number | undefined) => (value === undefined ? '–' : formatDuration(value));
  const body = tables
    .map((table) => {
      const rows = table.rows
        .map((row) => {
          const bar =
            row.availability === undefined
              ? ''
              : // SVG geometry, not a style attribute: the page's CSP allows no inline styles.
                `<svg class="avail-bar" width="60" height="6" viewBox="0 0 60 6" aria-hidden="true"><rect class="track" width="60" height="6" rx="3"/><rect class="fill" width="${(Math.min(1, Math.max(0, row.availability)) * 60).toFixed(1)}" height="6" rx="3"/></svg>`;
          const recovery =
            row.kind !== 'fault' ? '' : row.recovery === undefined ? '–' : row.recovery === 'never' ? 'never' : ms(row.recovery);
          const cell = `gd${row.kind === 'fault' ? ' gd-fault' : ''}`;
          const cells = [
            escapeHtml(row.phase),
            escapeHtml(row.kind),
            `${bar}${percent(row.availability)}`,
            escapeHtml(ms(row.p95Ms)),
            percent(row.errorRate),
            escapeHtml(recovery),
          ];
          return `<tr data-kind="${escapeHtml(row.kind)}">${cells.map((content, index) => `<td class="${cell}${index > 1 ? ' num' : ''}">${content}</td>`).join('')}</tr>`;
        })
        .join('');
      return (
        `<h3>${escapeHtml(table.gameday)}</h3><table class="gameday"><thead><tr><th class="gd">Phase</th><th class="gd">Kind</th><th class="gd num">Availability</th>` +
        `<th class="gd num">p95</th><th class="gd num">Error rate</th><th class="gd num">Recovery time</th></tr></thead><tbody>${rows}</tbody></table>`
      );
    })
    .join('');
  return `<section class="panel" id="gamedays"><h2>Game days <span class="muted">per phase: baseline, fault, recovery</span></h2>${body}<p class="muted">${escapeHtml(recoveryNote)}</p></section>`;
}

function suitesTable(result: RunResult): string {
  const rows = suitesOf(result).map((suite) => {
    const checks = result.checks.filter((check) => check.suite === suite);
    const counts = summarize(checks);
    const cells = outcomes
      .map((outcome) => `<td class="num${counts[outcome] ? ` n-${outcome}` : ''}">${counts[outcome] || ''}</td>`)
      .join('');
    const time = checks.reduce((sum, check) => sum + check.durationMs, 0);
    return `<tr><td><button type="button" class="link suite-link" data-suite="${escapeHtml(suite)}">${escapeHtml(suite)}</button></td><td>${stackedBar(counts, 120)}</td><td class="num">${checks.length}</td>${cells}<td class="num">${escapeHtml(formatDuration(time))}</td></tr>`;
  });
  const heads = outcomes
    .map((outcome) => `<th class="num" title="${escapeHtml(outcomeTitles[outcome])}">${escapeHtml(outcome)}</th>`)
    .join('');
  return `<table class="suites"><thead><tr><th>Suite</th><th></th><th class="num">Checks</th>${heads}<th class="num">Time</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function page(result: RunResult, css: string, js: string): string {
  const verdict = verdictOf(result);
  const data = jsonForScript(htmlData(result));
  const csp = [
    "default-src 'none'",
    `style-src ${cspHash(css)}`,
    `script-src ${cspHash(js)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const title = `${verdict === 'failed' ? '✗' : '✓'} ${result.target.name} · tokenproof ${result.runId}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tokenproof ${escapeHtml(result.tool.version)}">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${css}</style>
</head>
<body>
<header class="top"><div class="wrap">
<div class="brand"><b>tokenproof</b> ${escapeHtml(result.tool.version)}</div>
<div class="verdict ${verdict}">${verdict === 'failed' ? 'FAILED' : 'PASSED'}</div>
<h1>${escapeHtml(result.target.name)}</h1>
${metaList(result)}
</div></header>
<main class="wrap">
<section class="panel overview" id="overview">
${outcomeDonut(result.summary)}
${outcomeCards(result)}
<div class="side">${sloTable(result)}${phasesTable(result)}</div>
</section>
${fixedSection(result)}
${timelineSection(result)}
${gamedaySection(result)}
<section class="panel" id="checks-panel">
<h2>Checks <span class="muted">most urgent first</span></h2>
<div class="filters">
<input type="search" id="search" placeholder="Search id, title, reason or clause  ( / )" aria-label="Search checks" autocomplete="off">
<div class="chips" id="outcome-filter" role="group" aria-label="Outcomes"></div>
<label>Suite <select id="suite-filter"><option value="">all</option></select></label>
<label>Level <select id="level-filter"><option value="">all</option><option value="MUST">MUST</option><option value="SHOULD">SHOULD</option></select></label>
<label>Expected <select id="expected-filter"><option value="">all</option><option value="only">only expected (${expectedChecks(result.checks).length})</option><option value="hide">hide expected</option></select></label>
<label>Sort <select id="sort"><option value="severity">most urgent</option><option value="run">run order</option><option value="duration">slowest</option></select></label>
<button type="button" class="btn" id="expand-all">Expand all</button>
<span class="count" id="count" aria-live="polite"></span>
</div>
<table id="checks">
<thead><tr><th></th><th>Outcome</th><th>Check</th><th>Suite</th><th>Level</th><th class="num">Time</th><th>Spec</th></tr></thead>
<tbody></tbody>
</table>
${result.checks.length === 0 ? '<p class="empty">No checks ran in this run.</p>\n' : ''}<p class="empty" id="empty" hidden>No checks match these filters. <button type="button" class="btn" id="reset">Reset filters</button></p>
<noscript><p class="empty">The check table needs JavaScript. The same data is in report.json and summary.md next to this file.</p></noscript>
</section>
<section class="panel split" id="durations">
<div><h2>Suites <span class="muted">click a suite to filter</span></h2>${suitesTable(result)}</div>
<div><h2>Slowest checks <span class="muted">click a bar to open the check</span></h2>${durationBars(result.checks)}</div>
</section>
<footer>Generated by tokenproof ${escapeHtml(result.tool.version)} · tokens, secrets and passwords in the evidence are redacted · report.json, junit.xml, summary.md and metrics.prom sit next to this file.</footer>
</main>
<script type="application/json" id="tokenproof-data">${data}</script>
<script>${js}</script>
</body>
</html>
`;
}

export function renderHtmlReport(result: RunResult): string {
  const { css, js } = loadAssets();
  return page(result, css, js);
}

export function htmlReporter(): Reporter {
  return {
    name: 'html',
    async onEnd(result, outDir) {
      const file = join(outDir, htmlFile);
      await writeFile(file, renderHtmlReport(result));
      return [file];
    },
  };
}
