import { generateKeyPairSync } from 'node:crypto';
import { dpopProof } from '../../harness/oauth/client.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import type { DpopKey } from '../../harness/steps/index.ts';
import { said } from '../token-endpoint/answers.ts';

const newKey = (): DpopKey => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }), alg: 'ES256' });

export default check({
  id: 'refresh.dpop-bound',
  catalog: 'R10',
  title: "A public client's DPoP-bound refresh token is refused without a proof or with another key's",
  spec: ['RFC9449-5', 'RFC9449-4.3'],
  level: 'MUST',
  needs: ['issuer', 'login'],
  requires: ['dpop'],
  async run(t: CheckContext) {
    if (!t.profile.issuer?.clients?.public)
      t.skip('RFC 9449 §5 binds the refresh tokens of public clients; the profile has no public client (issuer.clients.public)');
    if (!t.profile.issuer.login?.steps)
      t.skip('the profile gives no browser login (issuer.login.steps) to obtain a DPoP-bound token');
    const key = newKey();
    const user = await t.steps.userTokens({ client: 'public', dpopKey: key });
    if (!user.refreshToken) t.skip('the public client got no refresh token');
    const tokenType = String(user.answer?.body.token_type);
    t.note(`token_type ${tokenType} for a login with a DPoP proof`);
    // RFC 9449 §5: a token_type other than DPoP means the server did not use DPoP for this request.
    if (tokenType.toLowerCase() !== 'dpop')
      t.skip(
        `the issuer answered a DPoP-proofed login with token_type ${tokenType}: it did not use DPoP (RFC 9449 §5), so nothing is bound`,
      );
    const tokenEndpoint = await t.steps.endpoint('token_endpoint');
    const proof = (with_: DpopKey) => dpopProof(with_, { htm: 'POST', htu: tokenEndpoint });
    const withoutProof = await t.steps.refresh(user.refreshToken, { auth: user.auth });
    t.assert(withoutProof.status !== 200, "the public client's DPoP-bound refresh token worked without a DPoP proof (HTTP 200)");
    const otherKey = await t.steps.refresh(user.refreshToken, { auth: user.auth, headers: { dpop: await proof(newKey()) } });
    t.assert(
      otherKey.status !== 200,
      "the refresh token worked with another key's DPoP proof (HTTP 200): it is not bound to the key",
    );
    for (const answer of [withoutProof, otherKey])
      t.assert(answer.status === 400 || answer.status === 401, `a refresh without the bound key answered ${said(answer)}`);
    const control = await t.steps.refresh(user.refreshToken, { auth: user.auth, headers: { dpop: await proof(key) } });
    if (control.status !== 200)
      t.error(`the refresh with the bound key's proof was refused too (${said(control)}): the binding cannot be judged`);
    t.passReason(`no proof: ${said(withoutProof)}; another key: ${said(otherKey)}; the bound key: HTTP 200`);
  },
});
