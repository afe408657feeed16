import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { liveAccessToken, observer, requireAccessTokenRevocation } from './observe.ts';

export default check({
  id: 'revocation.wrong-hint',
  catalog: 'V05',
  title: 'A wrong token_type_hint still revokes the token',
  spec: ['RFC7009-2.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    const seen = await observer(t);
    // The happy path first (right hint), so a skip here is about access-token revocation, not the hint.
    await requireAccessTokenRevocation(t, seen);
    const token = await liveAccessToken(t, seen);
    const answer = await t.steps.revoke(token, { hint: 'refresh_token' });
    t.assert(
      answer.status === 200,
      `an access token hinted refresh_token answered HTTP ${answer.status} ${String(answer.body.error ?? '')}`.trim(),
    );
    t.assert(
      await seen.becomesInactive(token),
      `an access token revoked with token_type_hint=refresh_token is still active at ${seen.via}: §2.1 says the server MUST extend its search across all supported token types`,
    );
    t.passReason(`an access token revoked with the wrong hint (refresh_token) is inactive at ${seen.via}`);
  },
});
