/** The conformance phase: the selected suite checks, in order, against the prepared target. */
import type { Check } from '../runner/check.ts';
import { runChecks } from '../runner/run.ts';
import type { Phase } from './phase.ts';

export function conformancePhase(checks: Check[]): Phase {
  return {
    name: 'conformance',
    planned: checks.map((check) => ({ id: check.id, suite: check.suite })),
    async run(context) {
      const results = await runChecks({
        target: context.environment.target,
        checks,
        reporters: context.reporters,
        redactor: context.redactor,
      });
      return { checks: results };
    },
  };
}
