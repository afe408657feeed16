/** Runs selected checks against a target in-process and returns their results by id. */
import type { CheckResult } from '../../harness/results/model.ts';
import { runChecks, selectChecks } from '../../harness/runner/run.ts';
import type { Target } from '../../harness/runner/target.ts';
import type { RunCache } from '../../harness/steps/index.ts';
import { allSuites } from '../../suites/index.ts';

/**
 * `options.cache`: one RunCache for several runs against the same target (its login browser
 * is launched once per test file instead of once per run); the caller disposes it.
 */
export async function runSelected(
  target: Target,
  selection: { suites?: string[]; checks?: string[] },
  options: { cache?: RunCache } = {},
): Promise<Map<string, CheckResult>> {
  const checks = selectChecks(allSuites, selection);
  const results = await runChecks({ target, checks, ...(options.cache && { cache: options.cache }) });
  return new Map(results.map((check) => [check.id, check]));
}

export async function outcomeOf(target: Target, id: string, options: { cache?: RunCache } = {}): Promise<CheckResult> {
  const result = (await runSelected(target, { checks: [id] }, options)).get(id);
  if (!result) throw new Error(`check ${id} did not run`);
  return result;
}
