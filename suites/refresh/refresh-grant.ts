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
    // RFC 6749 §6 only says the server "issues an access token": a deterministic JWT without jti,
    // minted in the same second as the login's, is byte-identical and still conformant.
    const repeated = user.accessToken !== undefined && accessToken === user.accessToken;
    t.should(
      !repeated,
      'the refresh answer repeats the access token of the login byte for byte: RFC 6749 §6 requires only that the server "issues an access token", but an identical one cannot be told apart (no jti, the same iat) or revoked separately',
    );
    const rotation =
      next === undefined ? 'no new refresh token' : next === user.refreshToken ? 'the same refresh token' : 'a new refresh token';
    const access =
      user.accessToken === undefined ? 'an access token' : repeated ? "the login's access token again" : 'a new access token';
    t.passReason(`HTTP 200 with ${access} and ${rotation} (${describeLogin(user)})`);
  },
});
