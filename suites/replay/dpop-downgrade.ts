import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeAnswer, isAccepted } from '../rs-errors/answers.ts';
import { afterValidDpop, dpopSession } from './proofs.ts';

export default check({
  id: 'replay.dpop-downgrade',
  catalog: 'P07',
  title: 'Two DPoP headers, a DPoP-bound token sent as Bearer, or the DPoP scheme without a proof are refused',
  spec: ['RFC9449-4.3', 'RFC9449-7.1', 'RFC9449-7.2'],
  level: 'MUST',
  needs: ['resourceServer'],
  dependsOn: afterValidDpop,
  async run(t: CheckContext) {
    const dpop = t.steps.dpop;
    const session = await dpopSession(t);
    const accepted: string[] = [];
    const judge = (what: string, answer: { status: number; text: string }, shown: string) => {
      if (answer.status === 0 || answer.status >= 500) t.fail(`${what}: ${shown} instead of an answer`);
      if (isAccepted(answer)) accepted.push(what);
    };

    const two = await dpop.sendTwoProofs(session, [dpop.proof(session), dpop.proof(session)]);
    judge('two DPoP header fields', two, `HTTP ${two.status || 'no answer'}`);
    const bearer = await dpop.send(session, undefined, { scheme: 'Bearer' });
    t.note(`the DPoP-bound token as a Bearer token, no proof: ${describeAnswer(bearer)}`);
    judge('the DPoP-bound token sent as a Bearer token', bearer, describeAnswer(bearer));
    const bearerWithProof = await dpop.send(session, dpop.proof(session), { scheme: 'Bearer' });
    t.note(`the DPoP-bound token as a Bearer token with a valid proof: ${describeAnswer(bearerWithProof)}`);
    judge('the DPoP-bound token under the Bearer scheme with a proof', bearerWithProof, describeAnswer(bearerWithProof));
    const noProof = await dpop.send(session, undefined);
    t.note(`the DPoP scheme without a DPoP header: ${describeAnswer(noProof)}`);
    judge('the DPoP scheme without a proof', noProof, describeAnswer(noProof));

    t.assert(
      accepted.length === 0,
      `accepted: ${accepted.join('; ')} (RFC 9449 §4.3: exactly one proof; §7.2: a DPoP-bound token is never a bearer token)`,
    );
    t.passReason(
      'two DPoP headers, the bound token as Bearer (with and without a proof) and the DPoP scheme without a proof were refused',
    );
  },
});
