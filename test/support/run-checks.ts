/** Runs selected checks against a target in-process and returns their results by id. */
import type { CheckResult } from '../../harness/results/model.ts';
import { runChecks, selectChecks } from '../../harness/runner/run.ts';
import type { Target } from '../../harness/runner/target.ts';
import { allSuites } from '../../suites/index.ts';

export async function runSelected(
  target: Target,
  selection: { suites?: string[]; checks?: string[] },
): Promise<Map<string, CheckResult>> {
  const checks = selectChecks(allSuites, selection);
  const results = await runChecks({ target, checks });
  return new Map(results.map((check) => [check.id, check]));
}

export async function outcomeOf(target: Target, id: string): Promise<CheckResult> {
  const result = (await runSelected(target, { checks: [id] })).get(id);
  if (!result) throw new Error(`check ${id} did not run`);
  return result;
}
