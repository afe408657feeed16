import { pollUntil } from '../../harness/lib/poll.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { said } from '../token-endpoint/answers.ts';
import { rotateAndReplay } from './rotation.ts';

export default check({
  id: 'refresh.family-access-tokens',
  catalog: 'R07',
  title: 'After reuse detection the access tokens of the family are inactive too',
  spec: ['RFC9700-4.14.2', 'RFC7009-2.1'],
  level: 'SHOULD',
  needs: ['issuer', 'primaryClient', 'login'],
  requires: ['introspection'],
  profiles: ['rfc9700'],
  async run(t: CheckContext) {
    let controlActive = false;
    const { at2, replay, invalidation } = await rotateAndReplay(t, async (accessToken) => {
      // The positive control: the caller sees this access token as active before the replay
      // (RFC 7662 §2.2 lets a server answer active:false to a caller it will not tell).
      controlActive = (await t.steps.introspect(accessToken)).body.active === true;
    });
    if (!controlActive)
      t.skip(
        "introspection does not show the family's live access token as active to this caller (RFC 7662 §2.2): nothing to compare with",
      );
    if (replay.status === 200) {
      if (invalidation.required) t.error('RT1 was accepted again, so no reuse was detected (see refresh.reuse-refused)');
      t.skip(
        `RT1 still works after the rotation (HTTP 200), so no replay was detected and there is no family to revoke: ${invalidation.why} (see refresh.reuse-refused)`,
      );
    }
    const inactive = await pollUntil(async () => ((await t.steps.introspect(at2)).body.active === false ? true : undefined), {
      timeoutMs: 2_000,
      intervalMs: 200,
      signal: t.signal,
    });
    t.assert(
      inactive.value,
      `after RT1 was replayed (${said(replay)}) the family's access token is still active at introspection`,
    );
    t.passReason(`after the replay (${said(replay)}) the family's access token is inactive at introspection`);
  },
});
