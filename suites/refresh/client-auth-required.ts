import { tokenRequest } from '../../harness/oauth/client.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { said } from '../token-endpoint/answers.ts';

export default check({
  id: 'refresh.client-auth-required',
  catalog: 'R04',
  title: 'A confidential client must authenticate to refresh (400/401 without credentials)',
  spec: ['RFC6749-6', 'RFC6749-3.2.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'login'],
  async run(t: CheckContext) {
    const user = await t.steps.userRefreshToken({ client: 'primary' });
    if (user.auth.method === 'none') t.skip('the primary client is public: it has no credentials to omit');
    const params = { grant_type: 'refresh_token', refresh_token: user.refreshToken };
    // With its client_id only (the public-client form), and with nothing at all.
    const bareId = await t.steps.token(params, { method: 'none', clientId: user.auth.clientId });
    const nothing = await tokenRequest(await t.steps.endpoint('token_endpoint'), params, undefined, undefined, t.fetch);
    for (const [name, answer] of [
      ['with client_id only', bareId],
      ['without any client identification', nothing],
    ] as const) {
      t.assert(
        answer.status !== 200,
        `the refresh ${name} succeeded (HTTP 200): the confidential client's refresh token works without its secret`,
      );
      t.assert(answer.status === 400 || answer.status === 401, `the refresh ${name} answered ${said(answer)}, not 400/401`);
    }
    t.passReason(`client_id only: ${said(bareId)}; nothing: ${said(nothing)}`);
  },
});
