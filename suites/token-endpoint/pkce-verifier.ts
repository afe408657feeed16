import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { said } from './answers.ts';

export default check({
  id: 'token-endpoint.pkce-verifier',
  catalog: 'T06',
  title: 'A code issued with an S256 challenge is redeemed only with its verifier',
  spec: ['RFC7636-4.6', 'RFC9700-2.1.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'login'],
  async run(t: CheckContext) {
    if (!t.profile.issuer?.login?.steps) t.skip('the profile gives no browser login (issuer.login.steps)');
    const authorization = await t.steps.authorizeInBrowser();
    t.assert(authorization.code, `the login with an S256 challenge returned no code (${authorization.error})`);
    // Another verifier of valid form: only its hash is wrong.
    const wrongVerifier = `${authorization.pkce!.verifier.slice(0, -2)}${authorization.pkce!.verifier.endsWith('AA') ? 'BB' : 'AA'}`;
    const wrong = await t.steps.redeemCode(authorization, { params: { code_verifier: wrongVerifier } });
    t.assert(wrong.status !== 200, 'the code was redeemed with a wrong code_verifier (HTTP 200): PKCE is not enforced');
    t.assert(wrong.status === 400, `a wrong code_verifier answered ${said(wrong)}, not 400`);
    t.should(
      wrong.body.error === 'invalid_grant',
      `a wrong code_verifier answered ${said(wrong)}; RFC 7636 §4.6 says invalid_grant`,
    );
    const missing = await t.steps.redeemCode(authorization, { params: { code_verifier: undefined } });
    t.assert(
      missing.status !== 200,
      'the code was redeemed without the code_verifier its challenge requires (HTTP 200): PKCE can be skipped',
    );
    t.assert(missing.status === 400, `a missing code_verifier answered ${said(missing)}, not 400`);
    // The positive control: the right verifier works (on a fresh code if the failures used this one up).
    let right = await t.steps.redeemCode(authorization);
    if (right.status !== 200) {
      t.note(`after the refused attempts the first code answered ${said(right)}; redeeming a fresh one`);
      right = await t.steps.redeemCode(await t.steps.authorizeInBrowser());
    }
    if (right.status !== 200) t.error(`the right code_verifier was refused too (${said(right)}): the flow itself does not work`);
    t.passReason(`wrong verifier: ${said(wrong)}; missing verifier: ${said(missing)}; the right verifier: HTTP 200`);
  },
});
