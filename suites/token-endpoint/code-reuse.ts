import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { said } from './answers.ts';

export default check({
  id: 'token-endpoint.code-reuse',
  catalog: 'T08',
  title: 'An authorization code works once; the tokens of its first redemption should die on reuse',
  spec: ['RFC6749-4.1.2', 'RFC6749-10.5', 'RFC9700-4.5'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'login'],
  async run(t: CheckContext) {
    if (!t.profile.issuer?.login?.steps) t.skip('the profile gives no browser login (issuer.login.steps)');
    const authorization = await t.steps.authorizeInBrowser();
    const first = await t.steps.redeemCode(authorization);
    if (first.status !== 200) t.error(`the first redemption failed (${said(first)})`);
    const second = await t.steps.redeemCode(authorization);
    t.assert(second.status !== 200, 'the authorization code was redeemed twice (HTTP 200 both times)');
    t.assert(second.status === 400, `the second redemption answered ${said(second)}, not 400`);
    t.should(second.body.error === 'invalid_grant', `the second redemption answered ${said(second)}, not invalid_grant`);
    // §4.1.2: the server "SHOULD revoke (when possible) all tokens previously issued based on that code".
    const refreshToken = first.body.refresh_token;
    if (refreshToken) {
      const afterwards = await t.steps.refresh(refreshToken, { auth: authorization.auth });
      t.should(
        afterwards.status !== 200,
        'the refresh token of the first redemption still works after the code was replayed (RFC 6749 §4.1.2: SHOULD revoke)',
      );
      t.passReason(`the replayed code is refused (${said(second)}); the first redemption's refresh token: ${said(afterwards)}`);
      return;
    }
    t.note('the first redemption returned no refresh token: whether its tokens die was not observed');
    t.passReason(`the replayed code is refused (${said(second)})`);
  },
});
