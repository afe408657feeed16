/**
 * junit.xml, valid against the strict Ant/Jenkins JUnit schema (test/fixtures/junit.xsd), which
 * is the dialect every CI system reads. Mapping:
 *
 *   suite → <testsuite>, check → <testcase classname="suite" name="id: title">
 *   fail  → <failure type="MUST">   reason as message, spec and evidence in the body
 *   error → <error type="error">    the harness or the target broke
 *   skip  → <skipped message="reason"/>
 *   warn  → a passing testcase; the warning goes to the suite's <properties> and <system-out>,
 *           because a SHOULD finding must not turn a CI test report red.
 *   expected (an --expect entry matched) → a passing testcase whatever its outcome; the suite's
 *           <properties> (`expected.<id>`) and <system-out> say "expected: <note>".
 *   fixed (an --expect entry that no longer happens) → `fixed.<id>` in <properties> and
 *           <system-out>; under --strict-expect the check's testcase is a <failure type="fixed">.
 *
 * The schema allows at most one child per testcase and requires <properties>, <system-out> and
 * <system-err> on every suite, which is why per-check details live at suite level.
 */

import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { CheckResult, FixedFinding, Reporter, RunResult } from '../results/model.ts';
import { escapeXmlAttr, escapeXmlText } from './escape.ts';
import { evidenceLines, fixedLine, suitesOf } from './format.ts';

export const junitFile = 'junit.xml';

export interface JunitOptions {
  /** The hostname attribute; the machine's name by default. */
  hostname?: string;
}

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

/** The schema's timestamp has no zone and no fraction: UTC, to the second. */
function junitTimestamp(iso: string): string {
  const date = new Date(iso);
  return (Number.isNaN(date.getTime()) ? new Date(0) : date).toISOString().slice(0, 19);
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${escapeXmlAttr(String(value))}"`)
    .join('');
}

function details(check: CheckResult): string {
  const lines = [`${check.level} ${check.spec.join(', ')}`.trim(), check.reason, ...evidenceLines(check.evidence)];
  return lines.join('\n');
}

type Kind = 'failure' | 'error' | 'skipped' | 'passed';

/** What the testcase shows: an expected finding passes; under --strict-expect a stale entry fails its check. */
function kindOf(check: CheckResult, fixed: FixedFinding | undefined, strict: boolean): Kind {
  if (check.expected) return 'passed';
  if (check.outcome === 'fail') return 'failure';
  if (check.outcome === 'error') return 'error';
  if (fixed && strict) return 'failure';
  if (check.outcome === 'skip') return 'skipped';
  return 'passed';
}

function testcase(check: CheckResult, kind: Kind, fixed: FixedFinding | undefined): string {
  const open = `<testcase${attrs({ classname: check.suite, name: `${check.id}: ${check.title}`, time: seconds(check.durationMs) })}`;
  switch (kind) {
    case 'failure':
      if (check.outcome !== 'fail' && fixed) {
        const message = fixedLine(fixed);
        return `${open}><failure${attrs({ type: 'fixed', message })}>${escapeXmlText(`${message}\n(--strict-expect)\n${details(check)}`)}</failure></testcase>`;
      }
      return `${open}><failure${attrs({ type: check.level, message: check.reason })}>${escapeXmlText(details(check))}</failure></testcase>`;
    case 'error':
      return `${open}><error${attrs({ type: 'error', message: check.reason })}>${escapeXmlText(details(check))}</error></testcase>`;
    case 'skipped':
      return `${open}><skipped${attrs({ message: check.reason })}/></testcase>`;
    case 'passed':
      return `${open}/>`;
  }
}

const expectedText = (check: CheckResult) => `expected ${check.outcome}: ${check.expected?.note ?? 'listed in --expect'}`;

function testsuite(result: RunResult, suite: string, id: number, host: string, fixedHere: FixedFinding[]): string {
  const checks = result.checks.filter((check) => check.suite === suite);
  const strict = result.strictExpect === true;
  const fixedOf = (check: CheckResult) => fixedHere.find((entry) => entry.check === check.id);
  const kinds = checks.map((check) => kindOf(check, fixedOf(check), strict));
  const count = (kind: Kind) => kinds.filter((each) => each === kind).length;
  const warnings = checks.filter((check) => check.outcome === 'warn');
  const expected = checks.filter((check) => check.expected);
  const properties = [
    ['tokenproof.version', result.tool.version],
    ['tokenproof.runId', result.runId],
    ['tokenproof.target', result.target.name],
    ...warnings.map((check) => [`warning.${check.id}`, `${check.level} ${check.spec.join(', ')}: ${check.reason}`]),
    ...expected.map((check) => [`expected.${check.id}`, `${expectedText(check)} (${check.level}: ${check.reason})`]),
    ...fixedHere.map((entry) => [`fixed.${entry.check}`, fixedLine(entry)]),
  ];
  const systemOut = [
    ...warnings.map((check) => `WARNING ${check.id}: ${details(check).replace(/\n/g, '\n  ')}`),
    ...expected.map((check) => `EXPECTED ${check.id}: ${expectedText(check)}\n  ${details(check).replace(/\n/g, '\n  ')}`),
    ...fixedHere.map((entry) => `FIXED ${fixedLine(entry)}${entry.note ? ` (note: ${entry.note})` : ''}`),
  ].join('\n\n');
  const head = attrs({
    name: suite,
    package: suite,
    id,
    timestamp: junitTimestamp(result.startedAt),
    hostname: host,
    tests: checks.length,
    failures: count('failure'),
    errors: count('error'),
    skipped: count('skipped'),
    time: seconds(checks.reduce((sum, check) => sum + check.durationMs, 0)),
  });
  return [
    `  <testsuite${head}>`,
    '    <properties>',
    ...properties.map(([name, value]) => `      <property${attrs({ name: name ?? '', value: value ?? '' })}/>`),
    '    </properties>',
    ...checks.map((check, index) => `    ${testcase(check, kinds[index]!, fixedOf(check))}`),
    `    <system-out>${escapeXmlText(systemOut)}</system-out>`,
    '    <system-err></system-err>',
    '  </testsuite>',
  ].join('\n');
}

/** The suite a fixed entry belongs to: its check's, else the first suite (so it is never dropped). */
function suiteOfFixed(result: RunResult, entry: FixedFinding, suites: string[]): string | undefined {
  const suite = result.checks.find((check) => check.id === entry.check)?.suite ?? entry.check.split('.')[0];
  return suite !== undefined && suites.includes(suite) ? suite : suites[0];
}

export function toJunitXml(result: RunResult, options: JunitOptions = {}): string {
  const host = options.hostname || hostname() || 'localhost';
  const names = suitesOf(result);
  const fixed = result.fixed ?? [];
  const suites = names.map((suite, id) =>
    testsuite(
      result,
      suite,
      id,
      host,
      fixed.filter((entry) => suiteOfFixed(result, entry, names) === suite),
    ),
  );
  return ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>', ...suites, '</testsuites>', ''].join('\n');
}

export function junitReporter(options: JunitOptions = {}): Reporter {
  return {
    name: 'junit',
    async onEnd(result, outDir) {
      const file = join(outDir, junitFile);
      await writeFile(file, toJunitXml(result, options));
      return [file];
    },
  };
}
