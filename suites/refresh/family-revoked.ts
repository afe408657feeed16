import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { said } from '../token-endpoint/answers.ts';
import { rotateAndReplay } from './rotation.ts';

export default check({
  id: 'refresh.family-revoked',
  catalog: 'R06',
  title: 'Reusing a rotated refresh token revokes the active one too (the family)',
  // MUST for public clients and declared rotation (RFC 9700 §4.14.2); SHOULD for a confidential client (RFC 6749 §6).
  spec: ['RFC9700-4.14.2', 'RFC6749-6'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'login'],
  profiles: ['rfc9700'],
  async run(t: CheckContext) {
    const { user, rt2, replay, invalidation } = await rotateAndReplay(t);
    if (replay.status === 200) {
      if (invalidation.required)
        t.error('RT1 was accepted again, so the family was never put at risk (see refresh.reuse-refused)');
      t.skip(
        `RT1 still works after the rotation (HTTP 200), so no replay was detected and there is no family revocation to judge: ${invalidation.why} (see refresh.reuse-refused)`,
      );
    }
    // §4.14.2: the server "cannot determine which party submitted the invalid refresh token ... it will revoke the active refresh token".
    const afterwards = await t.steps.refresh(rt2, { auth: user.auth });
    const survived =
      'after RT1 was replayed, RT2 still works (HTTP 200): the family was not revoked, so whoever stole RT1 and rotated first keeps access';
    if (invalidation.required) t.assert(afterwards.status !== 200, `${survived} (required: ${invalidation.why})`);
    else t.should(afterwards.status !== 200, `${survived}; not a MUST here: ${invalidation.why}`);
    t.passReason(`after RT1 was replayed (${said(replay)}), RT2 answers ${said(afterwards)}`);
  },
});
