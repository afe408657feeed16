/** Shared by the flawed-RS chaos tests: one chaos environment per file, a flawed RS in place of the subject. */
import type { PreparedEnvironment } from '../../harness/engine/environment.ts';
import type { PhaseOutput } from '../../harness/engine/phase.ts';
import type { SubjectName } from '../../harness/faults/chaos-environment.ts';
import { type ChaosFlaw, startFlawedChaosRs } from '../support/flawed-chaos-rs.ts';
import { runGameday } from './run-gameday.ts';

export async function gamedayAgainst(
  prepared: { environment: PreparedEnvironment; runDir: string },
  flaw: ChaosFlaw | undefined,
  subject: SubjectName,
  gameday: string,
): Promise<PhaseOutput> {
  const rs = await startFlawedChaosRs(prepared.environment.chaos!, subject, flaw, {
    secondarySecret: prepared.environment.credentials!['TOKENPROOF_SECONDARY_SECRET']!,
    jwksUri: prepared.environment.testIssuer!.jwksUri,
  });
  try {
    return await runGameday(prepared, gameday, rs.subject);
  } finally {
    await rs.close();
  }
}
