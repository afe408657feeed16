/**
 * Shared by the chaos tests: one embedded stack prepared for chaos (real toxiproxy, real
 * reference servers), a game day run in-process through the chaos phase against it, with the
 * subject optionally replaced by a (flawed) resource server of the test's own.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chaosPhase } from '../../harness/engine/chaos.ts';
import { type PreparedEnvironment, prepareEnvironment } from '../../harness/engine/environment.ts';
import type { PhaseOutput } from '../../harness/engine/phase.ts';
import type { ChaosSubject } from '../../harness/faults/chaos-environment.ts';
import { loadGameday } from '../../harness/faults/gameday.ts';
import { Redactor } from '../../harness/lib/redactor.ts';
import { repoRoot } from '../../harness/tools/paths.ts';

export async function chaosEnvironment(): Promise<{ environment: PreparedEnvironment; runDir: string }> {
  const runDir = mkdtempSync(join(tmpdir(), 'tokenproof-chaos-test-'));
  const environment = await prepareEnvironment({ runDir, redactor: new Redactor(), chaos: {} });
  return { environment, runDir };
}

export function gamedayFile(name: string): string {
  return join(repoRoot, 'scenarios', 'gamedays', `${name}.yaml`);
}

export async function runGameday(
  prepared: { environment: PreparedEnvironment; runDir: string },
  name: string,
  subject?: ChaosSubject,
): Promise<PhaseOutput> {
  const gameday = loadGameday(gamedayFile(name));
  const chaos = prepared.environment.chaos!;
  const environment: PreparedEnvironment = subject
    ? { ...prepared.environment, chaos: { ...chaos, subjects: { ...chaos.subjects, [subject.name]: async () => subject } } }
    : prepared.environment;
  return chaosPhase({ gameday }).run({
    environment,
    reporters: [],
    redactor: new Redactor(),
    runDir: prepared.runDir,
    runStartedAt: performance.now(),
    log: () => undefined,
    signal: new AbortController().signal,
  });
}

export function outcomes(output: PhaseOutput): Record<string, string> {
  return Object.fromEntries(output.checks.map((check) => [check.catalog ?? check.id, check.outcome]));
}

/** For a failed expectation: every check with its reason, and every SLO verdict. */
export function explain(output: PhaseOutput): string {
  return [
    ...output.checks.map((check) => `${check.catalog} ${check.outcome}: ${check.reason}`),
    ...(output.slo ?? []).map((slo) => `${slo.ok ? 'ok' : 'BREACHED'} ${slo.name}: ${slo.observed} (${slo.threshold})`),
  ].join('\n');
}
