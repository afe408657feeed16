/** The conformance phase: the selected suite checks, in order, against the prepared target. */
import type { SloVerdict } from '../results/model.ts';
import type { Check } from '../runner/check.ts';
import { runChecks } from '../runner/run.ts';
import { RunCache } from '../steps/index.ts';
import type { Phase } from './phase.ts';

export function conformancePhase(checks: Check[]): Phase {
  return {
    name: 'conformance',
    planned: checks.map((check) => ({ id: check.id, suite: check.suite })),
    async run(context) {
      // Run-scoped resources (the login browser) end with the phase; login screenshots go to the run folder.
      const cache = new RunCache({ artifactsDir: context.runDir });
      try {
        const slo: SloVerdict[] = [];
        const results = await runChecks({
          target: context.environment.target,
          checks,
          reporters: context.reporters,
          redactor: context.redactor,
          cache,
          slo,
        });
        return { checks: results, slo };
      } finally {
        await cache.dispose();
      }
    },
  };
}
