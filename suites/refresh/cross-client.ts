import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeLogin } from '../../harness/steps/index.ts';
import { said } from '../token-endpoint/answers.ts';

export default check({
  id: 'refresh.cross-client',
  catalog: 'R03',
  title: "Another client cannot use a client's refresh token (invalid_grant)",
  spec: ['RFC6749-6', 'RFC6749-10.4'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'secondaryClient', 'login'],
  async run(t: CheckContext) {
    const user = await t.steps.userRefreshToken({ client: 'primary' });
    const thief = t.steps.client('secondary');
    t.assert(thief.clientId !== user.auth.clientId, 'the profile names the same client twice');
    // §6: the server must "validate the refresh token ... and ensure that the refresh token was issued to the authenticated client".
    const answer = await t.steps.refresh(user.refreshToken, { auth: thief });
    t.assert(answer.status !== 200, `client ${thief.clientId} refreshed client ${user.auth.clientId}'s refresh token (HTTP 200)`);
    if (answer.body.error === 'unauthorized_client' || answer.body.error === 'unsupported_grant_type')
      t.skip(
        `client ${thief.clientId} may not use the refresh_token grant at all (${said(answer)}): the binding cannot be tested with it`,
      );
    t.assert(answer.status === 400 || answer.status === 401, `another client's refresh token answered ${said(answer)}`);
    t.should(answer.body.error === 'invalid_grant', `another client's refresh token answered ${said(answer)}, not invalid_grant`);
    t.passReason(
      `client ${thief.clientId} presenting ${user.auth.clientId}'s refresh token: ${said(answer)} (${describeLogin(user)})`,
    );
  },
});
