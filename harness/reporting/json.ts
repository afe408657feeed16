/**
 * report.json: the machine format. Its stable core (DESIGN.md "Reports") comes first and in a
 * fixed order; everything else the run produced (evidence, run id, command, suites, timeline and
 * any field added to RunResult later) follows, so new data reaches CI scripts without a change here.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckResult, Reporter, RunResult } from '../results/model.ts';
import { verdictOf } from './format.ts';

export const reportJsonFile = 'report.json';

/** Bumped only when a stable-core field changes meaning; additions do not bump it. */
export const reportJsonSchemaVersion = 1;

function checkJson(check: CheckResult) {
  const { id, suite, title, level, outcome, reason, spec, durationMs, ...rest } = check;
  return { id, suite, title, level, outcome, reason, spec, durationMs, ...rest };
}

export function toReportJson(result: RunResult) {
  const { tool, target, startedAt, durationMs, summary, checks, slo, ...rest } = result;
  return {
    tool,
    target,
    startedAt,
    durationMs,
    summary,
    checks: checks.map(checkJson),
    slo: slo.map(({ name, threshold, observed, ok, ...more }) => ({ name, threshold, observed, ok, ...more })),
    schemaVersion: reportJsonSchemaVersion,
    verdict: verdictOf(result),
    ...rest,
  };
}

export function jsonReporter(): Reporter {
  return {
    name: 'json',
    async onEnd(result, outDir) {
      const file = join(outDir, reportJsonFile);
      await writeFile(file, `${JSON.stringify(toReportJson(result), null, 2)}\n`);
      return [file];
    },
  };
}
