import { describe, expect, it } from 'vitest';
import { colorEnabled, consoleReporter } from '../../harness/reporting/console.ts';
import type { PhaseResult, RunResult } from '../../harness/results/model.ts';
import { fixtureRunResult, fixtureWithExpectations } from '../fixtures/run-result.ts';

function memoryStream(isTTY = false) {
  const chunks: string[] = [];
  return { stream: { isTTY, write: (chunk: string) => chunks.push(chunk) }, text: () => chunks.join('') };
}

async function replay(result: RunResult, options: Parameters<typeof consoleReporter>[0]) {
  const reporter = consoleReporter(options);
  await reporter.onBegin?.(
    result,
    result.checks.map(({ id, suite }) => ({ id, suite })),
  );
  for (const check of result.checks) await reporter.onCheckEnd?.(check);
  const files = await reporter.onEnd(result, `${process.cwd()}/reports/${result.runId}`);
  return files;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find escape codes
const ansi = /\u001b\[/;

describe('console reporter', () => {
  it('prints the plan, one line per check with its mark, and the verdict', async () => {
    const result = fixtureRunResult();
    const out = memoryStream();
    expect(await replay(result, { stream: out.stream, env: {} })).toEqual([]);
    const lines = out.text().split('\n');

    expect(lines[0]).toBe(
      'tokenproof 0.1.0 · acme-idp · 19 checks planned in 5 suites (discovery, token-endpoint, refresh, rs-claims, revocation)',
    );
    expect(lines[1]).toBe('[ 1/19] ✓ discovery.metadata (14 ms)');
    expect(lines).toContain(
      '[10/19 ✗1 !2] ✗ refresh.reuse-revokes-family MUST (342 ms) — the active refresh token still works after its predecessor was replayed',
    );
    expect(lines.find((line) => line.includes('! discovery.https-endpoints'))).toMatch(
      /^\[ 3\/19 !1\] ! discovery\.https-endpoints SHOULD/,
    );
    expect(lines.find((line) => line.includes('- refresh.dpop-bound'))).toContain('— the target does not support dpop');
    expect(lines.find((line) => line.includes('E rs-claims.removed-key'))).toMatch(
      /^\[17\/19 ✗2 E1 !2\] E rs-claims\.removed-key MUST/,
    );
    // Passing checks carry no reason.
    expect(lines[1]).not.toContain('—');

    expect(out.text()).toContain('✗ SLO issuanceP95: observed 412ms, threshold 300ms');
    expect(lines).toContain(
      'FAILED 19 checks: 10 passed, 2 failed, 3 warnings, 3 skipped, 1 error in 5 suites · SLO 2/3 held · 1 m 04 s',
    );
    expect(lines).toContain(`reports: reports/${result.runId}`);
  });

  it('passes a run with only passes, warnings and skips', async () => {
    const result = fixtureRunResult();
    result.checks = result.checks.filter((check) => check.outcome !== 'fail' && check.outcome !== 'error');
    result.summary = { ...result.summary, fail: 0, error: 0 };
    result.slo = result.slo.filter((verdict) => verdict.ok);
    const out = memoryStream();
    await replay(result, { stream: out.stream, env: {} });
    expect(out.text()).toMatch(/^PASSED 16 checks: 10 passed, 3 warnings, 3 skipped in 5 suites · SLO 2\/2 held/m);
    expect(out.text()).not.toContain('Failures and errors');
  });

  it('never lets control characters from a reason reach the terminal', async () => {
    const result = fixtureRunResult();
    const out = memoryStream();
    await replay(result, { stream: out.stream, env: {} });
    const line = out
      .text()
      .split('\n')
      .find((each) => each.includes('rs-claims.kid-injection'));
    expect(line).toContain('instead of 401');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(out.text()).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it('uses colour on a TTY, and none without one or with NO_COLOR', async () => {
    const result = fixtureRunResult();
    const tty = memoryStream(true);
    await replay(result, { stream: tty.stream, env: { TERM: 'xterm-256color' } });
    expect(tty.text()).toMatch(ansi);

    const noColor = memoryStream(true);
    await replay(result, { stream: noColor.stream, env: { NO_COLOR: '1', TERM: 'xterm-256color' } });
    expect(noColor.text()).not.toMatch(ansi);

    const pipe = memoryStream(false);
    await replay(result, { stream: pipe.stream, env: { TERM: 'xterm-256color' } });
    expect(pipe.text()).not.toMatch(ansi);

    expect(colorEnabled({ isTTY: true, write: () => true }, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ isTTY: true, write: () => true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled({ isTTY: true, write: () => true }, { TERM: 'dumb' })).toBe(false);
  });

  it('counts progress without a plan when onBegin was not called', async () => {
    const result = fixtureRunResult();
    const out = memoryStream();
    const reporter = consoleReporter({ stream: out.stream, env: {} });
    await reporter.onCheckEnd?.(result.checks[0]!);
    expect(out.text()).toBe('[1] ✓ discovery.metadata (14 ms)\n');
  });

  it('prints a line when each phase begins and ends', async () => {
    const result = fixtureRunResult();
    const out = memoryStream();
    const reporter = consoleReporter({ stream: out.stream, env: {} });
    const phase: PhaseResult = { name: 'conformance', startMs: 0, durationMs: 9_750, checks: result.checks, slo: [] };
    await reporter.onPhaseBegin?.({ name: 'conformance', startMs: 0 });
    await reporter.onCheckEnd?.(result.checks[0]!);
    await reporter.onPhaseEnd?.(phase);
    await reporter.onPhaseBegin?.({ name: 'load', startMs: 9_750 });
    await reporter.onPhaseEnd?.({ ...phase, name: 'load', startMs: 9_750, durationMs: 30_000, checks: [], slo: result.slo });
    expect(out.text().split('\n')).toEqual([
      '▶ conformance phase',
      '[1] ✓ discovery.metadata (14 ms)',
      '■ conformance phase done · 19 checks · 9.75 s',
      '▶ load phase',
      '■ load phase done · 3 SLOs · 30.0 s',
      '',
    ]);
  });

  it('recaps expected findings with their notes, apart from the failures, and fixed entries', async () => {
    const out = memoryStream();
    await replay(fixtureWithExpectations(), { stream: out.stream, env: {} });
    const text = out.text();
    const failures = text.split('Failures and errors:')[1]!.split('\n\n')[0]!;
    expect(failures).toContain('rs-claims.kid-injection');
    expect(failures).not.toContain('refresh.reuse-revokes-family');
    const expected = text.split('Expected findings (--expect), not failing the run:')[1]!.split('\n\n')[0]!;
    expect(expected).toContain('✗ refresh.reuse-revokes-family MUST');
    expect(expected).toContain('· expected: IDP-231: family revocation ships in 5.0');
    expect(expected).toContain('! rs-claims.leeway SHOULD');
    expect(text).toContain(
      'Fixed: listed in --expect but no longer happening:\n  ✓ discovery.pkce-s256: expected warn no longer happens, now pass — fixed — remove it from the list',
    );
    expect(text).toMatch(
      /^FAILED 19 checks: 10 passed, 2 failed, 3 warnings, 3 skipped, 1 error \(2 expected\) · 1 fixed in 5 suites/m,
    );

    const passing = memoryStream();
    await replay(fixtureWithExpectations({ onlyExpectedFailures: true }), { stream: passing.stream, env: {} });
    expect(passing.text()).toMatch(/^PASSED 17 checks: 10 passed, 1 failed, 3 warnings, 3 skipped \(2 expected\) · 1 fixed/m);
    expect(passing.text()).not.toContain('Failures and errors');

    const strict = memoryStream();
    await replay(fixtureWithExpectations({ onlyExpectedFailures: true, strict: true }), { stream: strict.stream, env: {} });
    expect(strict.text()).toContain('Fixed: listed in --expect but no longer happening (fails the run: --strict-expect):');
    expect(strict.text()).toMatch(/^FAILED /m);
  });
});
