import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { said } from '../token-endpoint/answers.ts';
import { rotateAndReplay } from './rotation.ts';

export default check({
  id: 'refresh.family-revoked',
  catalog: 'R06',
  title: 'Reusing a rotated refresh token revokes the active one too (the family)',
  spec: ['RFC9700-4.14.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'login'],
  profiles: ['rfc9700'],
  async run(t: CheckContext) {
    const { user, rt2, replay } = await rotateAndReplay(t);
    if (replay.status === 200) t.error('RT1 was accepted again, so the family was never put at risk (see refresh.reuse-refused)');
    // §4.14.2: the server "cannot determine which party submitted the invalid refresh token ... it will revoke the active refresh token".
    const afterwards = await t.steps.refresh(rt2, { auth: user.auth });
    t.assert(
      afterwards.status !== 200,
      'after RT1 was replayed, RT2 still works (HTTP 200): the family was not revoked, so whoever stole RT1 and rotated first keeps access',
    );
    t.passReason(`after RT1 was replayed (${said(replay)}), RT2 answers ${said(afterwards)}`);
  },
});
