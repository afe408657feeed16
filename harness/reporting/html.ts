/**
 * index.html: one self-contained file that opens from disk, offline. The stylesheet and script
 * (html/style.css, html/app.js) are inlined and allowed by hash in a Content-Security-Policy
 * that forbids every fetch, so the page cannot load anything even if a value slipped through
 * escaping. The run's data travels as JSON in a <script type="application/json"> element
 * (with `<` escaped); the script builds the filterable check table from it. The charts are
 * inline SVG drawn here (html/charts.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Outcome, Reporter, RunResult } from '../results/model.ts';
import { outcomes, summarize } from '../results/model.ts';
import { escapeHtml, jsonForScript } from './escape.ts';
import { formatDuration, outcomePhrases, suitesOf, verdictOf } from './format.ts';
import { durationBars, outcomeDonut, stackedBar, timelineChart } from './html/charts.ts';
import { specClauseUrl } from './spec-links.ts';

export const htmlFile = 'index.html';

const asset = (name: string) => readFileSync(new URL(`./html/${name}`, import.meta.url), 'utf8');
let assets: { css: string; js: string } | undefined;
function loadAssets() {
  assets ??= { css: asset('style.css'), js: asset('app.js') };
  return assets;
}

const cspHash = (content: string) => `'sha256-${createHash('sha256').update(content, 'utf8').digest('base64')}'`;

const outcomeTitles: Record<Outcome, string> = {
  pass: 'Passed',
  fail: 'Failed',
  warn: 'Warnings',
  skip: 'Skipped',
  error: 'Errors',
};

/** What the page script reads: the result with spec clauses resolved to links. */
export function htmlData(result: RunResult) {
  return {
    run: {
      runId: result.runId,
      tool: result.tool,
      target: result.target,
      command: result.command,
      startedAt: result.startedAt,
      durationMs: result.durationMs,
      verdict: verdictOf(result),
      summary: result.summary,
      suites: suitesOf(result),
    },
    outcomes: outcomes.map((outcome) => ({ id: outcome, title: outcomeTitles[outcome] })),
    checks: result.checks.map((check) => ({
      ...check,
      spec: check.spec.map((clause) => ({ clause, url: specClauseUrl(clause) ?? null })),
    })),
    timeline: result.timeline ?? null,
  };
}

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
      return `<button type="button" class="card c-${outcome}${count === 0 ? ' zero' : ''}" data-outcome="${outcome}" title="Show only ${escapeHtml(label)} checks"><span class="n">${count}</span><span class="l">${escapeHtml(outcomeTitles[outcome])}</span></button>`;
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
${sloTable(result)}
</section>
${timelineSection(result)}
<section class="panel" id="checks-panel">
<h2>Checks <span class="muted">most urgent first</span></h2>
<div class="filters">
<input type="search" id="search" placeholder="Search id, title, reason or clause  ( / )" aria-label="Search checks" autocomplete="off">
<div class="chips" id="outcome-filter" role="group" aria-label="Outcomes"></div>
<label>Suite <select id="suite-filter"><option value="">all</option></select></label>
<label>Level <select id="level-filter"><option value="">all</option><option value="MUST">MUST</option><option value="SHOULD">SHOULD</option></select></label>
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
