import { pollUntil } from '../../harness/lib/poll.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { issuerResourceServer, liveAccessToken, observer } from './observe.ts';

export default check({
  id: 'revocation.access-token',
  catalog: 'V03',
  title: 'A revoked access token is inactive at introspection and refused by the resource server',
  spec: ['RFC7009-2', 'RFC7009-2.2.1'],
  level: 'SHOULD',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    const seen = await observer(t);
    const token = await liveAccessToken(t, seen);
    const answer = await t.steps.revoke(token, { hint: 'access_token' });
    if (answer.status === 400 && answer.body.error === 'unsupported_token_type')
      t.fail('the issuer does not revoke access tokens (unsupported_token_type): RFC 7009 §2 says it SHOULD');
    t.assert(
      answer.status === 200,
      `revoking an access token answered HTTP ${answer.status} ${String(answer.body.error ?? '')}; RFC 7009 §2.2 answers 200, or unsupported_token_type when access tokens cannot be revoked`.trim(),
      'MUST',
    );
    t.assert(await seen.becomesInactive(token), `the issuer answered 200 but the access token is still active at ${seen.via}`);
    // Where both can be seen, the resource server must agree too (DESIGN: the RS refuses it).
    const url = issuerResourceServer(t);
    if (seen.via === 'introspection' && url) {
      const second = await t.steps.audienceToken();
      const control = await t.steps.resourceServer.withBearer(second.accessToken, { url });
      if (control.status === 200) {
        await t.steps.requireRevoked(second.accessToken, { hint: 'access_token' });
        const refused = await pollUntil(
          async () => ((await t.steps.resourceServer.withBearer(second.accessToken, { url })).status === 200 ? undefined : true),
          { timeoutMs: t.profile.slo.revocationPropagation ?? 5_000, intervalMs: 200, signal: t.signal },
        );
        t.assert(refused.value, 'the resource server still accepts a revoked access token');
        t.passReason(
          `a revoked access token is inactive at introspection and refused by the resource server after ${Math.round(refused.elapsedMs)} ms`,
        );
        return;
      }
      t.note(`the resource server did not accept a fresh token (HTTP ${control.status}): only introspection was observed`);
    }
    t.passReason(`a revoked access token is inactive at ${seen.via}`);
  },
});
