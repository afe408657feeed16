import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeAnswer, isAccepted } from '../rs-errors/answers.ts';
import { dpopSession } from './proofs.ts';

export default check({
  id: 'replay.dpop-valid',
  catalog: 'P01',
  title: 'A DPoP-bound token with a valid proof is accepted',
  spec: ['RFC9449-7.1', 'RFC9449-4.3'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const support = await t.steps.dpop.support();
    if (!support.supported) t.skip(support.how);
    t.assert(support.accepted, support.how);
    const session = await dpopSession(t);
    const answer = await t.steps.dpop.sendFresh(session);
    t.assert(isAccepted(answer), `a DPoP-bound token with a valid proof was refused: ${describeAnswer(answer)}`);
    t.passReason(
      `a DPoP-bound token with a valid proof was accepted (HTTP ${answer.status}${support.nonce ? ', with the server nonce' : ''})`,
    );
  },
});
