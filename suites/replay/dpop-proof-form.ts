import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { afterValidDpop, dpopSession, sendVariations } from './proofs.ts';

export default check({
  id: 'replay.dpop-proof-form',
  catalog: 'P06',
  title: 'Malformed proofs (private jwk, wrong typ, alg none or symmetric, bad signature, missing claims) are refused',
  spec: ['RFC9449-4.2', 'RFC9449-4.3'],
  level: 'MUST',
  needs: ['resourceServer'],
  dependsOn: afterValidDpop,
  async run(t: CheckContext) {
    const session = await dpopSession(t);
    const results = await sendVariations(t, session, 'P06');
    const accepted = results.filter((result) => result.accepted);
    t.assert(accepted.length === 0, `malformed proofs were accepted: ${accepted.map((result) => result.description).join('; ')}`);
    t.passReason(`${results.length} malformed proofs were refused`);
  },
});
