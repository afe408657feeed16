import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { said } from './answers.ts';

export default check({
  id: 'token-endpoint.pkce-downgrade',
  catalog: 'T07',
  title: 'A code_verifier is refused for a code issued without a code_challenge (PKCE downgrade)',
  spec: ['RFC9700-4.8.2', 'RFC9700-2.1.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'login'],
  async run(t: CheckContext) {
    if (!t.profile.issuer?.login?.steps) t.skip('the profile gives no browser login (issuer.login.steps)');
    const client = t.steps.client('primary');
    const authorization = await t.steps.authorizeInBrowser({ pkce: 'none' });
    if (!authorization.code) {
      t.passReason(
        `the authorization endpoint refuses a request without code_challenge (${authorization.error ?? 'no code'}): PKCE is required, no downgrade is possible`,
      );
      return;
    }
    t.note('the authorization endpoint issued a code without a code_challenge');
    // RFC 9700 §4.8.2: "if there is no code_challenge in the authorization request, a request to the
    // token endpoint containing a code_verifier is rejected".
    const downgrade = await t.steps.redeemCode(authorization, {
      params: { code_verifier: 'tokenproof-downgrade-verifier-0123456789abcdefghijklmnop' },
    });
    t.assert(
      downgrade.status !== 200,
      'a code issued without code_challenge was redeemed with a code_verifier (HTTP 200): an attacker can downgrade PKCE',
    );
    t.assert(downgrade.status < 500, `the downgrade attempt made the token endpoint fail with ${said(downgrade)}`);
    // Skipping PKCE entirely: a MUST for public clients, a SHOULD for confidential ones (RFC 9700 §2.1.1).
    const plain = await t.steps.redeemCode(await t.steps.authorizeInBrowser({ pkce: 'none' }));
    if (plain.status === 200) {
      if (client.method === 'none')
        t.fail('a public client redeemed a code without PKCE: RFC 9700 §2.1.1 requires PKCE for public clients', 'MUST');
      t.warn(`the confidential client ${client.clientId} may skip PKCE entirely (RFC 9700 §2.1.1: SHOULD use PKCE)`);
    }
    t.passReason(`a verifier for a code without challenge is refused (${said(downgrade)}); without PKCE: ${said(plain)}`);
  },
});
