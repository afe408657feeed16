/**
 * Shared by the replay checks: the RS's DPoP support (a skip says how it was determined), a
 * session (a key and a token bound to it), and sending named proof variations with their verdicts.
 */
import type { CheckContext } from '../../harness/runner/context.ts';
import type { DpopSession } from '../../harness/steps/dpop.ts';
import { forgeDpopProofs, generateDpopKey } from '../../harness/test-issuer/dpop-proofs.ts';
import { describeAnswer, isAccepted } from '../rs-errors/answers.ts';

/**
 * The DPoP checks after P01 need the valid DPoP request accepted (P01): when it is not, they are
 * `error` naming it; when the RS has no DPoP, P01 skips and so do they.
 */
export const afterValidDpop = ['replay.dpop-valid'];

export async function dpopSession(t: CheckContext): Promise<DpopSession> {
  const support = await t.steps.dpop.support();
  if (!support.supported) t.skip(support.how);
  return t.steps.dpop.session();
}

export interface VariationResult {
  name: string;
  description: string;
  expect: 'accept' | 'reject';
  accepted: boolean;
  shown: string;
}

/** Sends every proof variation of a catalog line (P03, P05, P06) once and reports what the RS did. */
export async function sendVariations(t: CheckContext, session: DpopSession, catalog: string): Promise<VariationResult[]> {
  const proofs = forgeDpopProofs(session.key, t.steps.dpop.request(session), generateDpopKey()).filter(
    (proof) => proof.check === catalog,
  );
  const results: VariationResult[] = [];
  for (const proof of proofs) {
    const answer = await t.steps.dpop.send(session, proof.proof);
    if (answer.status === 0 || answer.status >= 500)
      t.fail(`${proof.description}: ${describeAnswer(answer)} instead of an answer`);
    const shown = describeAnswer(answer);
    t.note(`${proof.name} (${proof.description}): ${shown}`);
    results.push({ name: proof.name, description: proof.description, expect: proof.expect, accepted: isAccepted(answer), shown });
  }
  if (results.length === 0) t.error(`no ${catalog} proof variations were made`);
  return results;
}
