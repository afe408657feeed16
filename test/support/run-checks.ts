/** Runs selected checks against a target in-process and returns their results by id. */
import type { CheckResult } from '../../harness/runner/model.ts';
import { runChecks, selectChecks } from '../../harness/runner/run.ts';
import type { Target } from '../../harness/runner/target.ts';
import { allSuites } from '../../suites/index.ts';

export async function runSelected(
  target: Target,
  selection: { suites?: string[]; checks?: string[] },
): Promise<Map<string, CheckResult>> {
  const checks = selectChecks(allSuites, selection);
  const result = await runChecks({
    target,
    checks,
    reporters: [],
    meta: {
      runId: 'test',
      tool: { name: 'tokenproof', version: 'test' },
      target: { name: target.name },
      command: 'test',
      startedAt: new Date().toISOString(),
      suites: [...new Set(checks.map((check) => check.suite))],
    },
  });
  return new Map(result.checks.map((check) => [check.id, check]));
}

export async function outcomeOf(target: Target, id: string): Promise<CheckResult> {
  const result = (await runSelected(target, { checks: [id] })).get(id);
  if (!result) throw new Error(`check ${id} did not run`);
  return result;
}
