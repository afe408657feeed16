import { describe, expect, it } from 'vitest';
import { markdownCell, toMarkdown } from '../../harness/reporting/markdown.ts';
import type { CheckResult } from '../../harness/results/model.ts';
import { summarize } from '../../harness/results/model.ts';
import { fixtureRunResult, fixtureWithExpectations, fixtureWithGameday } from '../fixtures/run-result.ts';

describe('summary.md', () => {
  it('leads with the verdict and the totals, and links the full report', () => {
    const md = toMarkdown(fixtureRunResult());
    const lines = md.split('\n');
    expect(lines[0]).toBe('## ❌ tokenproof FAILED: acme-idp');
    expect(lines[2]).toBe(
      '**19 checks** · ✅ **10** passed · ❌ **2** failed · ⚠️ **3** warnings · ⏭️ **3** skipped · 💥 **1** error',
    );
    expect(lines[4]).toContain('SLO 2/3 held · [full report](index.html)');
  });

  it('lists non-passing checks first, most urgent first, with linked clauses', () => {
    const md = toMarkdown(fixtureRunResult());
    const attention = md.split('### Needs attention')[1]!.split('###')[0]!;
    const ids = [...attention.matchAll(/^\| \S+ (\w+) \| `([^`]+)`/gm)].map((match) => `${match[1]} ${match[2]}`);
    expect(ids).toEqual([
      'error rs-claims.removed-key',
      'fail refresh.reuse-revokes-family',
      'fail rs-claims.kid-injection',
      'warn discovery.https-endpoints',
      'warn token-endpoint.entropy',
      'warn rs-claims.leeway',
      'skip token-endpoint.token-exchange',
      'skip refresh.family-access-tokens',
      'skip refresh.dpop-bound',
    ]);
    expect(attention).toContain(
      '| ❌ fail | `refresh.reuse-revokes-family` | MUST | the active refresh token still works after its predecessor was replayed | [RFC9700-4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2) |',
    );
    expect(attention).toContain('[RFC9700-4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2), CATALOG-R07 |');
  });

  it('has an SLO table and collapsed suite and passed-check details', () => {
    const md = toMarkdown(fixtureRunResult());
    expect(md).toContain('| ❌ | issuanceP95 | 300ms | 412ms |');
    expect(md).toContain('<details><summary>Suites</summary>');
    expect(md).toContain('| rs-claims | 6 | 3 | 1 | 1 |  | 1 |');
    expect(md).toContain('<details><summary>10 passed checks</summary>');
  });

  it('keeps a target answer from breaking the table or injecting markup', () => {
    const md = toMarkdown(fixtureRunResult());
    const row = md.split('\n').find((line) => line.includes('`rs-claims.kid-injection`'))!;
    expect(row).toContain('made the RS answer 500 &lt;h1&gt;Internal Error&lt;/h1&gt; \\| \\]\\]&gt; instead of 401 |');
    // Unescaped pipes delimit exactly the 5 cells.
    expect(row.replace(/\\\|/g, '').match(/\|/g)).toHaveLength(6);
    expect(markdownCell('a\nb | *c* <img src=x> [l](u)')).toBe('a b \\| \\*c\\* &lt;img src=x&gt; \\[l\\](u)');
    expect(markdownCell('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('stays short on a big run: capped rows that point at the HTML report', () => {
    const base = fixtureRunResult();
    const template = base.checks.find((check) => check.outcome === 'fail')!;
    const checks: CheckResult[] = Array.from({ length: 1000 }, (_, index) => ({
      ...template,
      id: `rs-claims.forged-${index}`,
      outcome: index % 2 ? 'fail' : 'pass',
      reason: `forged token ${index} was accepted: ${'a long reason '.repeat(30)}`,
    }));
    const md = toMarkdown(
      { ...base, checks, summary: summarize(checks) },
      { reportUrl: 'https://ci.example/artifacts/index.html' },
    );
    expect(md.length).toBeLessThan(65_536);
    expect(md).toContain('… and 475 more non-passing checks in the [full report](https://ci.example/artifacts/index.html).');
    expect(md).toContain('… and 400 more in the [full report](https://ci.example/artifacts/index.html).');
    expect(md.split('\n').filter((line) => line.startsWith('| ❌ fail |'))).toHaveLength(25);
  });

  it('says passed, without an attention table, when everything passed', () => {
    const base = fixtureRunResult();
    const checks = base.checks.filter((check) => check.outcome === 'pass');
    const md = toMarkdown({ ...base, checks, summary: summarize(checks), slo: [] });
    expect(md.startsWith('## ✅ tokenproof passed: acme-idp')).toBe(true);
    expect(md).not.toContain('Needs attention');
    expect(md).not.toContain('### SLOs');
  });

  it('lists the phases that ran, with their durations', () => {
    expect(toMarkdown(fixtureRunResult())).toContain('\nPhases: conformance 9.75 s · load 30.0 s · chaos 24.5 s\n');
  });

  it('shows expected findings apart, with their notes, and fixed entries to remove', () => {
    const md = toMarkdown(fixtureWithExpectations());
    expect(md.split('\n')[2]).toMatch(/💥 \*\*1\*\* error \(2 expected\)$/);
    const attention = md.split('### Needs attention')[1]!.split('###')[0]!;
    const ids = [...attention.matchAll(/^\| \S+ \w+ \| `([^`]+)`/gm)].map((match) => match[1]);
    expect(ids).not.toContain('refresh.reuse-revokes-family');
    expect(ids).not.toContain('rs-claims.leeway');
    expect(ids).toContain('rs-claims.kid-injection');
    const expected = md.split('### Expected findings')[1]!.split('###')[0]!;
    expect(expected).toContain(
      '| ❌ fail | `refresh.reuse-revokes-family` | MUST | expected: IDP-231: family revocation ships in 5.0 | the active refresh token still works after its predecessor was replayed |',
    );
    expect(expected).toContain('expected: IDP-88 &lt;leeway&gt; is 120 s by design');
    expect(md).toContain(
      '### Fixed: listed as expected, no longer happening\n\n- discovery.pkce-s256: expected warn no longer happens, now pass — fixed — remove it from the list · note: IDP-12',
    );
    expect(md.startsWith('## ❌ tokenproof FAILED')).toBe(true);
  });

  it('passes when every failure is expected, and says when a fixed entry fails the run', () => {
    expect(toMarkdown(fixtureWithExpectations({ onlyExpectedFailures: true })).startsWith('## ✅ tokenproof passed')).toBe(true);
    const strict = toMarkdown(fixtureWithExpectations({ onlyExpectedFailures: true, strict: true }));
    expect(strict.startsWith('## ❌ tokenproof FAILED')).toBe(true);
    expect(strict).toContain('### Fixed: listed as expected, no longer happening (fails the run: --strict-expect)');
  });
  it('has a per-phase table for a game day: availability, p95, error rate and recovery time', () => {
    const result = fixtureWithGameday();
    const section = toMarkdown(result)
      .split('### Game day: idp-outage')[1]!
      .split(/###|<details>/)[0]!;
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| Phase') && !line.startsWith('| ---'));
    expect(rows).toEqual([
      '| baseline | baseline | 100.00 % | 4 ms | 0.00 % |  |',
      '| outage (idp-outage on jwks) | fault | 98.71 % | 13 ms | 1.29 % | 1000 ms |',
      '| recovery | recovery | 99.50 % | 5 ms | 0.50 % |  |',
      '| hang (idp-hang \\| on jwks) | fault | – | – | – | never |',
    ]);
    // Without a chaos phase there is no such section.
    expect(toMarkdown(fixtureRunResult())).not.toContain('### Game day');
  });
});
