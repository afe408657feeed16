import { challengeFor } from '../../harness/oauth/www-authenticate.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { asksForNonce } from '../../harness/steps/dpop.ts';
import { challenges, describeAnswer, isAccepted } from '../rs-errors/answers.ts';
import { afterValidDpop, dpopSession } from './proofs.ts';

export default check({
  id: 'replay.dpop-nonce',
  catalog: 'P08',
  title: 'An RS that uses DPoP nonces asks for one (use_dpop_nonce + DPoP-Nonce) and refuses a stale one',
  spec: ['RFC9449-9', 'RFC9449-8'],
  level: 'MUST',
  needs: ['resourceServer'],
  dependsOn: afterValidDpop,
  async run(t: CheckContext) {
    const support = await t.steps.dpop.support();
    const declared = t.target.profile.resourceServer?.dpop?.nonce;
    if (declared === false) t.skip('the profile declares that the RS uses no DPoP nonces (resourceServer.dpop.nonce: false)');
    if (!support.nonce)
      t.skip('the RS accepted a DPoP proof without a nonce, so it uses no server nonces, and the profile declares none');
    const dpop = t.steps.dpop;
    const session = await dpopSession(t);

    const withoutNonce = await dpop.send(session, dpop.proof(session, { request: { nonce: undefined } }));
    t.note(`a proof without a nonce: ${describeAnswer(withoutNonce)}`);
    t.assert(!isAccepted(withoutNonce), 'a proof without a nonce was accepted although the RS uses nonces');
    const issued = withoutNonce.headers.get('dpop-nonce');
    t.assert(
      asksForNonce(withoutNonce) && issued,
      `a proof without a nonce was refused without asking for one (${describeAnswer(withoutNonce)}, ${issued ? 'a' : 'no'} DPoP-Nonce header); RFC 9449 §9: 401 with a DPoP challenge error="use_dpop_nonce" and a DPoP-Nonce header`,
    );
    const fresh = await dpop.send(session, dpop.proof(session, { request: { nonce: issued } }));
    t.assert(isAccepted(fresh), `a proof with the nonce the RS just gave was refused: ${describeAnswer(fresh)}`);

    const stale = await dpop.send(session, dpop.proof(session, { request: { nonce: 'tokenproof-stale-nonce-0000000000' } }));
    t.note(`a proof with a nonce the RS never issued: ${describeAnswer(stale)}`);
    t.assert(!isAccepted(stale), 'a proof carrying a nonce the RS never issued was accepted: any nonce passes');
    const staleChallenge = challengeFor(challenges(stale), 'DPoP');
    t.should(
      staleChallenge?.params.error === 'use_dpop_nonce' && stale.headers.get('dpop-nonce'),
      `a stale nonce was refused (${describeAnswer(stale)}) without a fresh one (use_dpop_nonce and DPoP-Nonce, RFC 9449 §9)`,
    );
    t.passReason(
      'a proof without a nonce got use_dpop_nonce with a DPoP-Nonce header; the given nonce was accepted, a stale one refused',
    );
  },
});
