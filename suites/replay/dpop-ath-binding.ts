import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { afterValidDpop, dpopSession, sendVariations } from './proofs.ts';

export default check({
  id: 'replay.dpop-ath-binding',
  catalog: 'P05',
  title: 'A proof without the right ath, or by a key other than cnf.jkt, is refused',
  spec: ['RFC9449-4.3', 'RFC9449-7.1', 'RFC9449-6.1'],
  level: 'MUST',
  needs: ['resourceServer'],
  dependsOn: afterValidDpop,
  async run(t: CheckContext) {
    const session = await dpopSession(t);
    const results = await sendVariations(t, session, 'P05');
    const accepted = results.filter((result) => result.accepted);
    t.assert(
      accepted.length === 0,
      `accepted: ${accepted.map((result) => result.description).join('; ')} (RFC 9449 §4.3/§7.1: the proof MUST hash this token in ath and be signed by the bound key)`,
    );
    t.passReason(`${results.length} proofs with a missing/wrong ath or an unbound key were refused`);
  },
});
