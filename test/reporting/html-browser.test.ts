/**
 * The HTML report in a real Chromium, opened from disk as a user would: the filters, the
 * expandable evidence, the spec links, and proof that the page loads nothing but itself and
 * logs no errors. Leaves a screenshot in test-results/report.png.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { htmlReporter } from '../../harness/reporting/html.ts';
import { writeReports } from '../../harness/reporting/write-run.ts';
import { fixtureRunResult, fixtureWithExpectations } from '../fixtures/run-result.ts';
import { artifactPath, launchChromium } from '../support/browser.ts';

let base: string;
let reportUrl: string;
let emptyReportUrl: string;
let expectedReportUrl: string;
let allowed: string[];
let browser: Browser;
let context: BrowserContext;
let page: Page;
let requests: string[];
let problems: string[];

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'tokenproof-html-'));
  const { files } = await writeReports(fixtureRunResult(), [htmlReporter()], base);
  reportUrl = pathToFileURL(files[0]!).href;
  const { timeline: _timeline, ...rest } = fixtureRunResult();
  const empty = { ...rest, runId: 'empty-run', checks: [], slo: [], summary: { pass: 0, fail: 0, warn: 0, skip: 0, error: 0 } };
  emptyReportUrl = pathToFileURL((await writeReports(empty, [htmlReporter()], base)).files[0]!).href;
  const expected = { ...fixtureWithExpectations({ strict: true }), runId: 'expected-run' };
  expectedReportUrl = pathToFileURL((await writeReports(expected, [htmlReporter()], base)).files[0]!).href;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await rm(base, { recursive: true, force: true });
});
beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  requests = [];
  problems = [];
  allowed = [reportUrl];
  // Every request the page makes is recorded; anything but the report file itself is refused.
  await context.route('**', (route) => {
    const url = route.request().url();
    requests.push(url);
    return allowed.includes(url.split('#')[0] ?? '') ? route.continue() : route.abort('blockedbyclient');
  });
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(reportUrl);
});
afterEach(async () => {
  await context?.close();
  expect(problems).toEqual([]);
  expect(requests.length).toBeGreaterThan(0);
  expect([...new Set(requests.map((url) => url.split('#')[0]))]).toEqual(allowed);
});

const visibleIds = (p: Page) =>
  p.locator('#checks tr.check:visible').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id')));

describe('index.html in Chromium', () => {
  it('shows every check, most urgent first, with totals and charts', async () => {
    const ids = await visibleIds(page);
    expect(ids).toHaveLength(19);
    expect(ids.slice(0, 3)).toEqual(['rs-claims.removed-key', 'refresh.reuse-revokes-family', 'rs-claims.kid-injection']);
    await expect.poll(() => page.locator('#count').textContent()).toBe('19 checks');
    expect(await page.locator('.card[data-outcome="fail"] .n').textContent()).toBe('2');
    expect(await page.locator('.verdict').textContent()).toBe('FAILED');
    expect(await page.locator('svg.donut .seg').count()).toBe(5);
    expect(await page.locator('svg.timeline').count()).toBe(2);
    expect(await page.locator('svg.timeline .fault-fill').count()).toBe(4);
    expect(await page.locator('svg.bars .bar').count()).toBe(12);
    // The artifact shows a failing check opened, as a reader would look at it.
    await page.locator('tr.check[data-id="rs-claims.kid-injection"]').click();
    await page.screenshot({ path: await artifactPath('report.png'), fullPage: true });
  });

  it('filters by outcome, suite, level and text', async () => {
    await page.locator('.chip[data-outcome="pass"]').click();
    expect(await visibleIds(page)).toHaveLength(9);
    expect(await page.locator('#count').textContent()).toBe('9 of 19 checks shown');

    await page.locator('#suite-filter').selectOption('refresh');
    expect(await visibleIds(page)).toEqual([
      'refresh.reuse-revokes-family',
      'refresh.family-access-tokens',
      'refresh.dpop-bound',
    ]);

    await page.locator('#level-filter').selectOption('MUST');
    expect(await visibleIds(page)).toEqual(['refresh.reuse-revokes-family', 'refresh.dpop-bound']);

    await page.locator('#search').fill('dpop');
    expect(await visibleIds(page)).toEqual(['refresh.dpop-bound']);

    await page.locator('#search').fill('no such check');
    expect(await visibleIds(page)).toEqual([]);
    expect(await page.locator('#empty').isVisible()).toBe(true);
    await page.locator('#reset').click();
    expect(await visibleIds(page)).toHaveLength(19);
  });

  it('narrows to one outcome from its card, and searches spec clauses', async () => {
    await page.locator('.card[data-outcome="warn"]').click();
    expect(await visibleIds(page)).toEqual(['discovery.https-endpoints', 'token-endpoint.entropy', 'rs-claims.leeway']);
    await page.locator('.card[data-outcome="warn"]').click();
    expect(await visibleIds(page)).toHaveLength(19);

    await page.locator('#search').fill('RFC9700-4.14.2');
    expect(await visibleIds(page)).toEqual(['refresh.reuse-revokes-family', 'refresh.family-access-tokens']);
  });

  it('keeps filters in the address, so a filtered view can be shared', async () => {
    await page.locator('.chip[data-outcome="pass"]').click();
    await page.locator('#suite-filter').selectOption('rs-claims');
    expect(new URL(page.url()).hash).toBe('#outcome=error%2Cfail%2Cwarn%2Cskip&suite=rs-claims');
    await page.reload();
    expect(await visibleIds(page)).toEqual(['rs-claims.removed-key', 'rs-claims.kid-injection', 'rs-claims.leeway']);
  });

  it('expands a row to its reason, clause links and redacted evidence', async () => {
    const row = page.locator('tr.check[data-id="refresh.reuse-revokes-family"]');
    const detail = page.locator('tr.detail[data-detail-for="refresh.reuse-revokes-family"]');
    expect(await detail.count()).toBe(0);
    await row.click();
    await expect.poll(() => detail.isVisible()).toBe(true);
    expect(await row.locator('button.toggle').getAttribute('aria-expanded')).toBe('true');
    expect(await detail.locator('.reason-full').textContent()).toBe(
      'the active refresh token still works after its predecessor was replayed',
    );
    expect(await detail.locator('.notes li').allTextContents()).toEqual([
      'profile rfc9700: reuse detection must revoke the whole family',
    ]);

    const exchanges = detail.locator('details.exchange');
    expect(await exchanges.count()).toBe(4);
    const last = exchanges.nth(3);
    expect(await last.locator(':scope > summary').textContent()).toContain('POSThttp://127.0.0.1:9400/token200');
    expect(await last.locator('summary .exchange-note').textContent()).toBe('RT2 still accepted: the family was not revoked');
    expect(await last.locator('.headers dd').allTextContents()).toContain('Basic [client c1, secret redacted]');
    expect(await last.locator('.exchange-body > div:nth-child(1) > pre.body').textContent()).toMatch(
      /^grant_type=refresh_token\nrefresh_token=rt2_H4…\[redacted \d+ chars\]$/,
    );
    expect(await last.locator('.exchange-body > div:nth-child(2) > pre.body').textContent()).toContain('[signature redacted]');

    // A redacted JWT's header and claims are shown decoded.
    await last.locator('.exchange-body > div:nth-child(2) details.jwt summary').click();
    const decoded = JSON.parse((await last.locator('.exchange-body > div:nth-child(2) details.jwt pre').textContent()) ?? '{}');
    expect(decoded.header).toEqual({ alg: 'RS256', kid: 'k-2025-06', typ: 'at+jwt' });
    expect(decoded.claims.sub).toBe('alice');

    await row.click();
    await expect.poll(() => detail.isVisible()).toBe(false);
  });

  it('links known spec clauses to their section and leaves unknown ones as text', async () => {
    const link = page.locator('tr.check[data-id="refresh.family-access-tokens"] a.clause');
    expect(await link.getAttribute('href')).toBe('https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await page.locator('tr.check[data-id="refresh.family-access-tokens"] span.clause').textContent()).toBe('CATALOG-R07');
    expect(await page.locator('tr.check[data-id="discovery.metadata"] a.clause').first().getAttribute('href')).toBe(
      'https://openid.net/specs/openid-connect-discovery-1_0.html#section-4',
    );
    expect(await page.locator('a.clause').count()).toBeGreaterThan(20);
  });

  it("shows a target's HTML and control characters as text, never as markup", async () => {
    const row = page.locator('tr.check[data-id="rs-claims.kid-injection"]');
    await row.click();
    const detail = page.locator('tr.detail[data-detail-for="rs-claims.kid-injection"]');
    expect(await detail.locator('.reason-full').textContent()).toBe(
      'kid "../../dev/null" made the RS answer 500 <h1>Internal Error</h1> | ]]> instead of 401\\x07',
    );
    expect(await detail.locator('.exchange-body > div:nth-child(2) > pre.body').textContent()).toContain(
      '<script>alert("kid")</script>',
    );
    expect(await page.locator('script').count()).toBe(2);
    expect(await page.locator('#checks h1').count()).toBe(0);
  });

  it('opens a check from its bar in the slowest-checks chart', async () => {
    await page.locator('#suite-filter').selectOption('discovery');
    await page.locator('.bar-row[data-check-id="rs-claims.leeway"]').click();
    await expect.poll(() => page.locator('tr.detail[data-detail-for="rs-claims.leeway"]').isVisible()).toBe(true);
    expect(await page.locator('#suite-filter').inputValue()).toBe('');
  });

  it('opens a run with no checks without errors', async () => {
    allowed.push(emptyReportUrl);
    await page.goto(emptyReportUrl);
    expect(await page.getByText('No checks ran in this run.').isVisible()).toBe(true);
    expect(await page.locator('#empty').isVisible()).toBe(false);
    expect(await page.locator('#count').textContent()).toBe('0 checks');
    expect(await page.locator('.verdict').textContent()).toBe('PASSED');
  });

  it('reads the timeline from the chart points in the data: the read-out names the point under the pointer', async () => {
    const chart = page.locator('svg.timeline[data-series="0"]');
    await chart.hover();
    // The middle of 0–60 s is nearest the 28 s point, inside the issuer outage window.
    await expect.poll(() => page.locator('[data-readout="0"]').textContent()).toMatch(/^t=28\.0 s · \d+ ms · issuer outage$/);
    expect(await chart.locator('.cursor').getAttribute('x1')).toBe(String(Math.round((48 + (28 / 60) * 578) * 10) / 10));
    expect(await chart.locator('.cursor-dot').getAttribute('visibility')).toBe('visible');
    await page.mouse.move(5, 5);
    await expect.poll(() => page.locator('[data-readout="0"]').textContent()).toBe('');
  });

  it('lists the phases that ran, with their durations', async () => {
    const cells = (phase: string) => page.locator(`.phases tr[data-phase="${phase}"] td`).allTextContents();
    expect(await page.locator('.phases tr[data-phase]').count()).toBe(3);
    expect(await cells('conformance')).toEqual(['conformance', '+0 ms', '9.75 s', '19']);
    expect(await cells('load')).toEqual(['load', '+9.75 s', '30.0 s', '']);
    expect(await cells('chaos')).toEqual(['chaos', '+39.8 s', '24.5 s', '']);
  });

  it('marks expected findings with a badge and their note, filters on them, and lists fixed entries', async () => {
    allowed.push(expectedReportUrl);
    await page.goto(expectedReportUrl);
    const reuse = page.locator('tr.check[data-id="refresh.reuse-revokes-family"]');
    expect(await reuse.locator('.badge.expected').textContent()).toBe('expected');
    expect(await reuse.locator('.badge.expected').getAttribute('title')).toBe(
      'expected: IDP-231: family revocation ships in 5.0',
    );
    expect(await reuse.locator('.check-expected').textContent()).toBe('expected: IDP-231: family revocation ships in 5.0');
    expect(await page.locator('tr.check[data-id="rs-claims.kid-injection"] .badge.expected').count()).toBe(0);
    expect(await page.locator('.card[data-outcome="fail"] .x').textContent()).toBe('1 expected');

    await page.locator('#expected-filter').selectOption('only');
    expect(await visibleIds(page)).toEqual(['refresh.reuse-revokes-family', 'rs-claims.leeway']);
    expect(new URL(page.url()).hash).toBe('#expected=only');
    await page.locator('#expected-filter').selectOption('hide');
    expect(await visibleIds(page)).toHaveLength(17);
    await page.locator('#expected-filter').selectOption('');
    await page.locator('#search').fill('IDP-88');
    expect(await visibleIds(page)).toEqual(['rs-claims.leeway']);
    await page.locator('#search').fill('');

    await reuse.click();
    expect(await page.locator('tr.detail[data-detail-for="refresh.reuse-revokes-family"] .expected-note').textContent()).toBe(
      'expected expected: IDP-231: family revocation ships in 5.0 — this fail does not fail the run',
    );
    expect(await page.locator('#fixed li').allTextContents()).toEqual([
      'fixed discovery.pkce-s256: expected warn no longer happens, now pass — fixed — remove it from the list · note: IDP-12',
    ]);
    expect(await page.locator('#fixed .fixed-strict').textContent()).toBe('Under --strict-expect these fail the run.');
    await page.screenshot({ path: await artifactPath('report-expected.png'), fullPage: true });
  });
});
