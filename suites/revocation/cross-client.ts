import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import type { RevocationAnswer } from '../../harness/steps/index.ts';
import { accessTokenRevocationWorks, liveAccessToken, observer } from './observe.ts';

export default check({
  id: 'revocation.cross-client',
  catalog: 'V07',
  title: "Client B cannot revoke client A's token",
  spec: ['RFC7009-2.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'secondaryClient'],
  async run(t: CheckContext) {
    await t.steps.revocationEndpoint();
    const judged: string[] = [];
    // §2.1: "If this validation fails, the request is refused and the client is informed of the error".
    const informed = (label: string, answer: RevocationAnswer) => {
      t.assert(answer.status < 500, `${label}: a revocation by another client answered HTTP ${answer.status}, a server error`);
      t.should(
        answer.status !== 200,
        `${label}: the request by another client was answered 200 (not revoked, but the client was not informed of the error, RFC 7009 §2.1)`,
      );
      judged.push(`${label} stayed live (secondary answered HTTP ${answer.status} ${String(answer.body.error ?? '')})`.trim());
    };

    // Refresh tokens (revocation is a MUST for them, §2): the owner can still refresh afterwards.
    if (t.profile.issuer?.login) {
      const tokens = await t.steps.userRefreshToken({ client: 'primary' });
      const answer = await t.steps.revoke(tokens.refreshToken, { client: 'secondary', hint: 'refresh_token' });
      const refreshed = await t.steps.refresh(tokens.refreshToken, { auth: tokens.auth });
      t.assert(
        refreshed.status === 200,
        `the secondary client revoked the primary client's refresh token (refreshing then answered HTTP ${refreshed.status} ${String(refreshed.body.error ?? '')})`.trim(),
      );
      informed("the primary client's refresh token", answer);
    }

    // Access tokens, where the owner can revoke them at all (a SHOULD, §2): else "still active" proves nothing.
    const seen = await observer(t, { optional: true });
    if (seen && (await accessTokenRevocationWorks(t, seen))) {
      const token = await liveAccessToken(t, seen, 'primary');
      const answer = await t.steps.revoke(token, { client: 'secondary', hint: 'access_token' });
      t.assert(
        await seen.active(token),
        `the secondary client revoked the primary client's access token (${seen.via} calls it inactive)`,
      );
      informed("the primary client's access token", answer);
    } else t.note('access tokens not judged: the issuer does not revoke them, or nothing observes them');

    if (judged.length === 0)
      t.skip('nothing to judge: no login for a refresh token, and access-token revocation does not work or cannot be observed');
    t.passReason(judged.join('; '));
  },
});
