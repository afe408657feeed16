import { decodeJwt } from 'jose';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { jwsHeader } from '../../harness/steps/index.ts';

export default check({
  id: 'introspection.agrees-with-revocation',
  catalog: 'I05',
  title: 'Introspection agrees with revocation and with the token’s own expiry',
  spec: ['RFC7662-2.2', 'RFC7009-2.1', 'RFC7009-2.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  dependsOn: ['introspection.active-token'],
  async run(t: CheckContext) {
    const examined: string[] = [];
    const issued = await t.steps.audienceToken();
    const before = await t.steps.requireIntrospection(issued.accessToken);
    if (before.body.active !== true) t.skip('the token was not introspected active (see I01): nothing to compare');

    // Expiry: a JWT access token carries its own exp; introspection must report the same instant.
    if (jwsHeader(issued.accessToken)) {
      const claims = decodeJwt(issued.accessToken);
      if (typeof claims.exp === 'number' && before.body.exp !== undefined) {
        t.assert(
          before.body.exp === claims.exp,
          `introspection says exp ${JSON.stringify(before.body.exp)}, the token itself says ${claims.exp}`,
        );
        examined.push('exp matches the JWT');
      }
    }

    // Refresh tokens: revocation is a MUST (RFC 7009 §2), and introspection MUST call a revoked
    // token inactive (RFC 7662 §2.2).
    if (t.profile.issuer?.login && (await t.steps.canRevoke())) {
      const tokens = await t.steps.userRefreshToken();
      const live = await t.steps.requireIntrospection(tokens.refreshToken, { hint: 'refresh_token' });
      if (live.body.active !== true)
        t.note('the issuer does not introspect refresh tokens as active: refresh-token revocation not compared');
      else {
        await t.steps.requireRevoked(tokens.refreshToken, { client: tokens.auth, hint: 'refresh_token' });
        const after = await t.steps.requireIntrospection(tokens.refreshToken, { hint: 'refresh_token' });
        t.assert(after.body.active === false, 'a revoked refresh token (revocation answered 200) is still introspected active');
        examined.push('a revoked refresh token is inactive');
      }
    }
    if (await t.steps.canRevoke()) {
      const answer = await t.steps.revoke(issued.accessToken, { hint: 'access_token' });
      if (answer.status === 200) {
        // RFC 7009 §2.2: 200 means "revoked successfully" (or an invalid token); access-token
        // revocation itself is a SHOULD (§2), so a mismatch here is graded SHOULD.
        const after = await t.steps.requireIntrospection(issued.accessToken);
        if (after.body.active !== false)
          t.fail('revocation answered 200 for a live access token, yet introspection still calls it active', 'SHOULD');
        examined.push('a revoked access token is inactive');
      } else t.note(`revoking an access token answered HTTP ${answer.status}: access-token revocation not compared`);
    }
    if (examined.length === 0) t.skip('nothing to compare: no JWT exp, no revocation endpoint, no login for a refresh token');
    t.passReason(examined.join('; '));
  },
});
