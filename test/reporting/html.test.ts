import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { niceStep, outcomeDonut, timelineChart } from '../../harness/reporting/html/charts.ts';
import { htmlData, pageScript, renderHtmlReport } from '../../harness/reporting/html.ts';
import { fixtureRunResult, fixtureWithExpectations, fixtureWithGameday } from '../fixtures/run-result.ts';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

function inline(html: string, tag: 'style' | 'script') {
  return [...html.matchAll(new RegExp(`<${tag}([^>]*)>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) => ({
    attributes: match[1] ?? '',
    content: match[2] ?? '',
  }));
}

describe('index.html (as text)', () => {
  it('is one self-contained document: no external resource of any kind', () => {
    const html = renderHtmlReport(fixtureRunResult());
    expect(html).not.toMatch(/\bsrc\s*=/i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?(?!#)/i);
    expect([...html.matchAll(/<link\b[^>]*>/g)].map((match) => match[0])).toEqual(['<link rel="icon" href="data:,">']);
    // Outside the embedded data, the only absolute URLs are none at all (spec links are built from the data).
    const markup = html.replace(/<script type="application\/json"[\s\S]*?<\/script>/, '');
    expect(markup).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
  });

  it('forbids every fetch with a CSP that allows exactly its inline style and script', () => {
    const html = renderHtmlReport(fixtureRunResult());
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replace(/&#39;/g, "'");
    const [style] = inline(html, 'style');
    const scripts = inline(html, 'script');
    const code = scripts.find((script) => script.attributes === '');
    expect(csp).toBe(
      `default-src 'none'; style-src ${sha256(style!.content)}; script-src ${sha256(code!.content)}; img-src data:; base-uri 'none'; form-action 'none'`,
    );
  });

  it('embeds the data as JSON that no value can break out of', () => {
    const result = fixtureRunResult();
    result.checks[0]!.reason = '</script><script>alert(1)</script><!-- <script>';
    const html = renderHtmlReport(result);
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    const [data] = inline(html, 'script').filter((script) => script.attributes.includes('application/json'));
    expect(data!.content).not.toContain('<');
    expect(JSON.parse(data!.content)).toEqual(JSON.parse(JSON.stringify(htmlData(result))));
  });

  it('resolves spec clauses to links in the data, leaving unknown clauses unlinked', () => {
    const checks = htmlData(fixtureRunResult()).checks;
    expect(checks.find((check) => check.id === 'refresh.family-access-tokens')?.spec).toEqual([
      { clause: 'RFC9700-4.14.2', url: 'https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2' },
      { clause: 'CATALOG-R07', url: null },
    ]);
  });

  it('escapes run metadata shown in the markup', () => {
    const result = fixtureRunResult();
    result.target.name = '<img onerror=alert(1)> & co';
    result.command = 'tokenproof run --target "<x>"';
    const html = renderHtmlReport(result);
    expect(html).toContain('<h1>&lt;img onerror=alert(1)&gt; &amp; co</h1>');
    expect(html).toContain('tokenproof run --target &quot;&lt;x&gt;&quot;');
    expect(html).not.toContain('<img');
  });

  it('leaves the timeline out when the run has none', () => {
    const result = fixtureRunResult();
    delete result.timeline;
    const html = renderHtmlReport(result);
    expect(html).not.toContain('id="timeline"');
    expect(html).not.toContain('<svg class="timeline"');
  });
});

describe('the page script and its data', () => {
  it('is app.ts with its types stripped: plain JavaScript, no import left, positions kept', () => {
    const source = readFileSync(new URL('../../harness/reporting/html/app.ts', import.meta.url), 'utf8');
    const script = pageScript(source);
    expect(source).toMatch(/^import type /m);
    expect(script).not.toMatch(/^\s*import\b/m);
    expect(script).not.toMatch(/: HTML\w+Element\b/);
    expect(() => new Script(script)).not.toThrow();
    expect(script.split('\n')).toHaveLength(source.split('\n').length);
    const html = renderHtmlReport(fixtureRunResult());
    expect(inline(html, 'script').find((each) => each.attributes === '')?.content).toBe(script);
  });

  it('passes the chart points as data: the same points the SVG line is drawn through', () => {
    const result = fixtureRunResult();
    const data = htmlData(result);
    const charts = data.timeline!.charts;
    expect(charts.map((chart) => [chart.series, chart.name, chart.unit, chart.points.length])).toEqual([
      [0, 'token issuance p95', 'ms', 61],
      [1, 'throughput', 'req/s', 61],
    ]);
    const svg = timelineChart(result.timeline!.series[1]!, result.timeline!, 1);
    const line = /<path d="([^"]+)" class="line line-1"\/>/.exec(svg)![1]!;
    expect(line).toBe(charts[1]!.points.map((point, i) => `${i === 0 ? 'M' : 'L'}${point.x},${point.y}`).join(' '));
    expect(charts[0]!.points[20]).toMatchObject({ t: 20_000, at: '20.0 s' });
    // The SVG no longer carries geometry for a script to read back.
    expect(svg).not.toMatch(/data-(left|plot-width|span-ms)=/);
  });

  it('gets every duration formatted by the one formatter', () => {
    const check = htmlData(fixtureRunResult()).checks.find((each) => each.id === 'refresh.reuse-revokes-family')!;
    expect(check.time).toBe('342 ms');
    expect(check.evidence.exchanges.map((exchange) => exchange.time)).toEqual(['41 ms', '23 ms', '10 ms', '19 ms']);
    const removed = htmlData(fixtureRunResult()).checks.find((each) => each.id === 'rs-claims.removed-key')!;
    expect(removed.evidence.exchanges[0]!.time).toBeNull();
  });

  it('renders the fixed entries, the expected counts and the phases in the markup', () => {
    const html = renderHtmlReport(fixtureWithExpectations());
    expect(html).toContain('<section class="panel" id="fixed">');
    expect(html).toContain('discovery.pkce-s256: expected warn no longer happens, now pass — fixed — remove it from the list');
    expect(html).toContain('<span class="x">1 expected</span>');
    expect(html).toContain('<option value="only">only expected (2)</option>');
    expect(html).toContain('<tr data-phase="load"><td>load</td><td class="num">+9.75 s</td><td class="num">30.0 s</td>');
    expect(htmlData(fixtureWithExpectations()).run.expected).toBe(2);
    const plain = renderHtmlReport(fixtureRunResult());
    expect(plain).not.toContain('id="fixed"');
  });
});

describe('game days', () => {
  it('renders one per-phase table per game day, as summary.md does, with availability bars inside the CSP', () => {
    const html = renderHtmlReport(fixtureWithGameday());
    const section = html.split('<section class="panel" id="gamedays">')[1]!.split('</section>')[0]!;
    expect(section).toContain('<h3>idp-outage</h3>');
    const rows = [...section.matchAll(/<tr data-kind="([^"]+)">(.*?)<\/tr>/g)].map(([, kind, cells]) => [
      kind,
      ...[...cells!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map(([, cell]) => cell!.replace(/<svg.*?<\/svg>/, '')),
    ]);
    expect(rows).toEqual([
      ['baseline', 'baseline', 'baseline', '100.00 %', '4 ms', '0.00 %', ''],
      ['fault', 'outage (idp-outage on jwks)', 'fault', '98.71 %', '13 ms', '1.29 %', '1.00 s'],
      ['recovery', 'recovery', 'recovery', '99.50 %', '5 ms', '0.50 %', ''],
      ['fault', 'hang (idp-hang | on jwks)', 'fault', '–', '–', '–', 'never'],
    ]);
    // The bar is SVG geometry: a style attribute would be blocked by the page's CSP.
    expect(section).toContain('<rect class="fill" width="59.2"');
    expect(section).not.toContain('style=');
    expect(renderHtmlReport(fixtureRunResult())).not.toContain('id="gamedays"');
  });
});

describe('charts', () => {
  it('draws one donut segment per present outcome', () => {
    const svg = outcomeDonut({ pass: 3, fail: 1, warn: 0, skip: 0, error: 0 });
    expect(svg.match(/class="seg o-/g)).toHaveLength(2);
    expect(svg).toContain('stroke-dasharray="75 25"');
    expect(svg).toContain('stroke-dasharray="25 75"');
  });

  it('shades every fault window over its time span', () => {
    const timeline = fixtureRunResult().timeline!;
    const svg = timelineChart(timeline.series[0]!, timeline, 0);
    const faults = [...svg.matchAll(/<rect x="([\d.]+)" y="26" width="([\d.]+)" height="158" class="fault-fill"\/>/g)];
    // 60 s over 578 px of plot starting at x=48: 20–30 s and 40–48 s.
    expect(faults.map((match) => [Number(match[1]), Number(match[2])])).toEqual([
      [48 + 578 / 3, 578 / 6].map((value) => Math.round(value * 10) / 10),
      [48 + (578 * 2) / 3, (578 * 8) / 60].map((value) => Math.round(value * 10) / 10),
    ]);
    expect(svg).toContain('>issuer outage</text>');
    expect(svg).toMatch(/<path d="M48,[\d.]+ L/);
  });

  it('picks round axis steps', () => {
    expect(niceStep(1800, 4)).toBe(500);
    expect(niceStep(60_000, 8)).toBe(10_000);
    expect(niceStep(7, 4)).toBe(2);
    expect(niceStep(0, 4)).toBe(1);
  });
});
