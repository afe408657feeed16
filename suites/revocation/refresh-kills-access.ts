import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { observer, requireAccessTokenRevocation } from './observe.ts';

export default check({
  id: 'revocation.refresh-kills-access',
  catalog: 'V02',
  title: 'Revoking a refresh token invalidates the access tokens of the same grant',
  spec: ['RFC7009-2.1'],
  level: 'SHOULD',
  needs: ['issuer', 'primaryClient', 'login'],
  async run(t: CheckContext) {
    const seen = await observer(t);
    // §2.1 asks this only of a server that "supports the revocation of access tokens".
    await requireAccessTokenRevocation(t, seen);
    const tokens = await t.steps.userRefreshToken();
    if (!tokens.accessToken)
      t.skip('the login gave a refresh token only (refreshTokenCommand): no access token of the grant to watch');
    if (!(await seen.active(tokens.accessToken)))
      t.skip(`the access token of a fresh login is not active at ${seen.via} (see I01): its revocation cannot be observed`);
    await t.steps.requireRevoked(tokens.refreshToken, { client: tokens.auth, hint: 'refresh_token' });
    t.assert(
      await seen.becomesInactive(tokens.accessToken),
      `after its refresh token was revoked, the access token of the same grant is still active at ${seen.via} (RFC 7009 §2.1 SHOULD)`,
    );
    t.passReason(`revoking the refresh token made the grant's access token inactive at ${seen.via}`);
  },
});
