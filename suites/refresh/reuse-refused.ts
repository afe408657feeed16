import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { said } from '../token-endpoint/answers.ts';
import { rotateAndReplay } from './rotation.ts';

export default check({
  id: 'refresh.reuse-refused',
  catalog: 'R05',
  title: 'A rotated refresh token presented again is refused (invalid_grant)',
  spec: ['RFC9700-4.14.2', 'RFC9700-2.2.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'login'],
  profiles: ['rfc9700'],
  async run(t: CheckContext) {
    const { replay } = await rotateAndReplay(t);
    t.assert(replay.status !== 200, 'the rotated refresh token RT1 still works (HTTP 200): reuse is not detected');
    t.assert(replay.status === 400 || replay.status === 401, `presenting RT1 again answered ${said(replay)}`);
    t.should(replay.body.error === 'invalid_grant', `presenting RT1 again answered ${said(replay)}, not invalid_grant`);
    t.passReason(`RT1 → RT2, then RT1 again: ${said(replay)}`);
  },
});
