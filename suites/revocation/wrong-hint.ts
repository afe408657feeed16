import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { accessTokenRevocationWorks, liveAccessToken, observer } from './observe.ts';

export default check({
  id: 'revocation.wrong-hint',
  catalog: 'V05',
  title: 'A wrong token_type_hint still revokes the token',
  spec: ['RFC7009-2.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    await t.steps.revocationEndpoint();
    const judged: string[] = [];
    // §2.1: "If the server is unable to locate the token using the given hint, it MUST extend
    // its search across all of its supported token types."
    if (t.profile.issuer?.login) {
      const tokens = await t.steps.userRefreshToken();
      const answer = await t.steps.revoke(tokens.refreshToken, { client: tokens.auth, hint: 'access_token' });
      t.assert(
        answer.status === 200,
        `a refresh token hinted access_token answered HTTP ${answer.status} ${String(answer.body.error ?? '')}`.trim(),
      );
      const refreshed = await t.steps.refresh(tokens.refreshToken, { auth: tokens.auth });
      t.assert(refreshed.status !== 200, 'a refresh token revoked with token_type_hint=access_token still refreshes');
      judged.push('a refresh token hinted access_token no longer refreshes');
    }

    // Access tokens, where the right hint revokes them (the happy path first, so a skip here is
    // about access-token revocation, a SHOULD, not about the hint).
    const seen = await observer(t, { optional: true });
    if (seen && (await accessTokenRevocationWorks(t, seen))) {
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
      judged.push(`an access token hinted refresh_token is inactive at ${seen.via}`);
    } else t.note('access tokens not judged: the issuer does not revoke them, or nothing observes them');

    if (judged.length === 0)
      t.skip('nothing to judge: no login for a refresh token, and access-token revocation does not work or cannot be observed');
    t.passReason(judged.join('; '));
  },
});
