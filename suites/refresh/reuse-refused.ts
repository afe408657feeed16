import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { said } from '../token-endpoint/answers.ts';
import { rotateAndReplay } from './rotation.ts';

export default check({
  id: 'refresh.reuse-refused',
  catalog: 'R05',
  title: 'A rotated refresh token presented again is refused (invalid_grant)',
  // MUST for public clients and declared rotation; SHOULD for a confidential client (RFC 6749 §6: the server "MAY revoke").
  spec: ['RFC9700-4.14.2', 'RFC9700-2.2.2', 'RFC6749-6'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'login'],
  profiles: ['rfc9700'],
  async run(t: CheckContext) {
    const { replay, invalidation } = await rotateAndReplay(t);
    if (replay.status === 200) {
      if (invalidation.required)
        t.fail(`the rotated refresh token RT1 still works (HTTP 200): reuse is not detected (required: ${invalidation.why})`);
      t.warn(
        `RT1 still works after the refresh issued RT2 (HTTP 200), so a copy of a used refresh token stays usable and its replay goes unnoticed; not a MUST here: ${invalidation.why}`,
      );
      t.passReason(`RT1 → RT2, then RT1 again: HTTP 200 (${invalidation.why})`);
      return;
    }
    t.assert(replay.status === 400 || replay.status === 401, `presenting RT1 again answered ${said(replay)}`);
    t.should(replay.body.error === 'invalid_grant', `presenting RT1 again answered ${said(replay)}, not invalid_grant`);
    t.passReason(`RT1 → RT2, then RT1 again: ${said(replay)}`);
  },
});
