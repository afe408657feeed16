import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { liveAccessToken, observer, requireAccessTokenRevocation } from './observe.ts';

export default check({
  id: 'revocation.cross-client',
  catalog: 'V07',
  title: "Client B cannot revoke client A's token",
  spec: ['RFC7009-2.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'secondaryClient'],
  async run(t: CheckContext) {
    const seen = await observer(t);
    // The owner can revoke such a token (else "still active" would prove nothing).
    await requireAccessTokenRevocation(t, seen);
    const token = await liveAccessToken(t, seen, 'primary');
    const answer = await t.steps.revoke(token, { client: 'secondary', hint: 'access_token' });
    t.assert(answer.status < 500, `a revocation by another client answered HTTP ${answer.status}: a server error, not a refusal`);
    t.assert(
      await seen.active(token),
      `the secondary client revoked the primary client's access token (${seen.via} calls it inactive)`,
    );
    // §2.1: "If this validation fails, the request is refused and the client is informed of the error".
    t.should(
      answer.status !== 200,
      'the request by another client was answered 200 (not revoked, but the client was not informed of the error, RFC 7009 §2.1)',
    );
    t.passReason(
      `the primary client's token stayed active; the secondary client was answered HTTP ${answer.status} ${String(answer.body.error ?? '')}`.trim(),
    );
  },
});
