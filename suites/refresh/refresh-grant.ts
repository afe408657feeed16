import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeLogin } from '../../harness/steps/index.ts';
import { said } from '../token-endpoint/answers.ts';

export default check({
  id: 'refresh.refresh-grant',
  catalog: 'R01',
  title: 'A refresh_token grant answers 200 with a new access token',
  spec: ['RFC6749-6', 'RFC6749-5.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'login'],
  async run(t: CheckContext) {
    const user = await t.steps.userRefreshToken();
    const answer = await t.steps.refresh(user.refreshToken, { auth: user.auth });
    t.assert(answer.status === 200, `refreshing answered ${said(answer)}`);
    const { access_token: accessToken, token_type: tokenType, refresh_token: next } = answer.body;
    t.assert(typeof accessToken === 'string' && accessToken.length > 0, 'the refresh answer has no access_token (RFC 6749 §5.1)');
    t.assert(typeof tokenType === 'string' && tokenType.length > 0, 'the refresh answer has no token_type (RFC 6749 §5.1)');
    t.assert(accessToken !== user.accessToken, 'the refresh answer repeats the access token of the login instead of a new one');
    const rotation =
      next === undefined ? 'no new refresh token' : next === user.refreshToken ? 'the same refresh token' : 'a new refresh token';
    t.passReason(`HTTP 200 with a new access token and ${rotation} (${describeLogin(user)})`);
  },
});
