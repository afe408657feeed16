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
 *
 * The schema allows at most one child per testcase and requires <properties>, <system-out> and
 * <system-err> on every suite, which is why per-check details live at suite level.
 */

import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { CheckResult, Reporter, RunResult } from '../results/model.ts';
import { escapeXmlAttr, escapeXmlText } from './escape.ts';
import { evidenceLines, suitesOf } from './format.ts';

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

function testcase(check: CheckResult): string {
  const open = `<testcase${attrs({ classname: check.suite, name: `${check.id}: ${check.title}`, time: seconds(check.durationMs) })}`;
  switch (check.outcome) {
    case 'fail':
      return `${open}><failure${attrs({ type: check.level, message: check.reason })}>${escapeXmlText(details(check))}</failure></testcase>`;
    case 'error':
      return `${open}><error${attrs({ type: 'error', message: check.reason })}>${escapeXmlText(details(check))}</error></testcase>`;
    case 'skip':
      return `${open}><skipped${attrs({ message: check.reason })}/></testcase>`;
    case 'pass':
    case 'warn':
      return `${open}/>`;
  }
}

function testsuite(result: RunResult, suite: string, id: number, host: string): string {
  const checks = result.checks.filter((check) => check.suite === suite);
  const count = (outcome: CheckResult['outcome']) => checks.filter((check) => check.outcome === outcome).length;
  const warnings = checks.filter((check) => check.outcome === 'warn');
  const properties = [
    ['tokenproof.version', result.tool.version],
    ['tokenproof.runId', result.runId],
    ['tokenproof.target', result.target.name],
    ...warnings.map((check) => [`warning.${check.id}`, `${check.level} ${check.spec.join(', ')}: ${check.reason}`]),
  ];
  const systemOut = warnings.map((check) => `WARNING ${check.id}: ${details(check).replace(/\n/g, '\n  ')}`).join('\n\n');
  const head = attrs({
    name: suite,
    package: suite,
    id,
    timestamp: junitTimestamp(result.startedAt),
    hostname: host,
    tests: checks.length,
    failures: count('fail'),
    errors: count('error'),
    skipped: count('skip'),
    time: seconds(checks.reduce((sum, check) => sum + check.durationMs, 0)),
  });
  return [
    `  <testsuite${head}>`,
    '    <properties>',
    ...properties.map(([name, value]) => `      <property${attrs({ name: name ?? '', value: value ?? '' })}/>`),
    '    </properties>',
    ...checks.map((check) => `    ${testcase(check)}`),
    `    <system-out>${escapeXmlText(systemOut)}</system-out>`,
    '    <system-err></system-err>',
    '  </testsuite>',
  ].join('\n');
}

export function toJunitXml(result: RunResult, options: JunitOptions = {}): string {
  const host = options.hostname || hostname() || 'localhost';
  const suites = suitesOf(result).map((suite, id) => testsuite(result, suite, id, host));
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
