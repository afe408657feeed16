import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { said } from './answers.ts';

/** A loopback URI that differs from the registered one in its path only: what exact matching must notice. */
const otherRedirect = (registered: string) => `${new URL(registered).origin}/tokenproof-other-callback`;

export default check({
  id: 'token-endpoint.code-binding',
  catalog: 'T09',
  title: 'A code is refused for another client or another redirect_uri',
  spec: ['RFC6749-4.1.3', 'RFC6749-10.6', 'RFC9700-4.1.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'secondaryClient', 'login'],
  async run(t: CheckContext) {
    if (!t.profile.issuer?.login?.steps) t.skip('the profile gives no browser login (issuer.login.steps)');
    // §4.1.3: "ensure that the authorization code was issued to the authenticated confidential client".
    const stolen = await t.steps.authorizeInBrowser();
    const crossClient = await t.steps.redeemCode(stolen, { auth: t.steps.client('secondary') });
    t.assert(crossClient.status !== 200, "the secondary client redeemed the primary client's code (HTTP 200)");
    t.assert(crossClient.status === 400 || crossClient.status === 401, `another client's code answered ${said(crossClient)}`);
    if (crossClient.body.error === 'unauthorized_client')
      t.note('the secondary client may not use authorization_code at all: the cross-client binding was not really tested');
    else
      t.should(
        crossClient.body.error === 'invalid_grant',
        `another client's code answered ${said(crossClient)}, not invalid_grant`,
      );
    // §4.1.3: redirect_uri must be "identical" to the one of the authorization request.
    const moved = await t.steps.authorizeInBrowser();
    const otherUri = otherRedirect(moved.redirectUri);
    const wrongUri = await t.steps.redeemCode(moved, { params: { redirect_uri: otherUri } });
    t.assert(
      wrongUri.status !== 200,
      `the code was redeemed with redirect_uri ${otherUri}, not the one it was issued for (HTTP 200)`,
    );
    t.assert(wrongUri.status === 400, `another redirect_uri answered ${said(wrongUri)}, not 400`);
    t.should(wrongUri.body.error === 'invalid_grant', `another redirect_uri answered ${said(wrongUri)}, not invalid_grant`);
    const control = await t.steps.redeemCode(moved);
    t.note(`the same code with its own redirect_uri afterwards: ${said(control)}`);
    t.passReason(`another client: ${said(crossClient)}; another redirect_uri: ${said(wrongUri)}`);
  },
});
