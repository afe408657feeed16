import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeLogin } from '../../harness/steps/index.ts';

export default check({
  id: 'revocation.refresh-token',
  catalog: 'V01',
  title: 'A revoked refresh token is refused at the token endpoint',
  spec: ['RFC7009-2.1', 'RFC7009-2.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'login'],
  async run(t: CheckContext) {
    await t.steps.revocationEndpoint();
    const tokens = await t.steps.userRefreshToken();
    t.note(`refresh token from ${describeLogin(tokens)}`);
    const answer = await t.steps.revoke(tokens.refreshToken, { client: tokens.auth, hint: 'refresh_token' });
    // §2: "Implementations MUST support the revocation of refresh tokens"; §2.2: 200 on success.
    t.assert(
      answer.status === 200,
      `revoking a refresh token answered HTTP ${answer.status} ${String(answer.body.error ?? '')}, not 200`.trim(),
    );
    const refreshed = await t.steps.refresh(tokens.refreshToken, { auth: tokens.auth });
    const said = `HTTP ${refreshed.status} ${String(refreshed.body.error ?? '')}`.trim();
    t.assert(refreshed.status !== 200, 'the revoked refresh token still refreshes: a new access token was issued');
    // RFC 7009 §2.1: "the token cannot be used again after the revocation": it MUST be refused.
    // How is RFC 6749 §5.2's business: 400 invalid_grant is its code for a revoked refresh token,
    // graded SHOULD as elsewhere (another code on a refusal warns: ORY Hydra answers 401 token_inactive).
    t.assert(
      refreshed.status >= 400 && refreshed.status < 500,
      `refreshing with a revoked refresh token answered ${said}: RFC 7009 §2.1 says it "cannot be used again after the revocation" (a 4xx refusal, RFC 6749 §5.2)`,
    );
    t.should(
      refreshed.status === 400 && refreshed.body.error === 'invalid_grant',
      `the revoked refresh token was refused with ${said}, not 400 invalid_grant (RFC 6749 §5.2: "invalid_grant ... revoked")`,
    );
    t.passReason(`the refresh token was revoked (200) and then refused: ${said}`);
  },
});
