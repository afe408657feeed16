import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeAnswer, isAccepted } from '../rs-errors/answers.ts';
import { afterValidDpop, dpopSession } from './proofs.ts';

export default check({
  id: 'replay.dpop-jti-replay',
  catalog: 'P02',
  title: 'A DPoP proof presented a second time is refused',
  spec: ['RFC9449-11.1', 'RFC9449-4.3'],
  level: 'SHOULD',
  needs: ['resourceServer'],
  dependsOn: afterValidDpop,
  async run(t: CheckContext) {
    const session = await dpopSession(t);
    const proof = t.steps.dpop.proof(session);
    const first = await t.steps.dpop.send(session, proof);
    if (!isAccepted(first)) t.error(`the first use of a valid proof was refused: ${describeAnswer(first)}`);
    const second = await t.steps.dpop.send(session, proof);
    t.note(`the same proof (same jti) again: ${describeAnswer(second)}`);
    t.assert(
      !isAccepted(second),
      'the same DPoP proof (same jti) was accepted twice: the RS keeps no replay cache, so a captured proof can be replayed for its whole iat window (RFC 9449 §11.1)',
    );
    t.passReason(`the second use of a proof was refused (HTTP ${second.status})`);
  },
});
