import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeAnswer, isAccepted, oauthChallenge } from './answers.ts';

export default check({
  id: 'rs-errors.no-credentials',
  catalog: 'E01',
  title: 'A request without credentials gets 401 and a Bearer challenge without an error code',
  spec: ['RFC6750-3', 'RFC6750-3.1', 'RFC9110-11.6.1'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const answer = await t.steps.resourceServer.call();
    if (answer.status === 0) t.error(`the resource server gave no answer: ${answer.text}`);
    t.assert(
      !isAccepted(answer),
      `the protected URL answered HTTP ${answer.status} without credentials: it is not protected (is resourceServer.url a protected URL?)`,
    );
    const challenge = oauthChallenge(answer);
    t.assert(
      challenge,
      `refused without a WWW-Authenticate Bearer challenge (${describeAnswer(answer)}); RFC 6750 §3: the resource server MUST include one`,
    );
    t.should(answer.status === 401, `answered HTTP ${answer.status} instead of 401 Unauthorized (RFC 6750 §3, RFC 9110 §15.5.2)`);
    t.should(
      challenge.params.error === undefined,
      `the challenge carries error="${challenge.params.error}" although the request had no credentials; RFC 6750 §3.1: SHOULD NOT include an error code`,
    );
    t.passReason(`HTTP ${answer.status} with a ${challenge.scheme} challenge and no error code`);
  },
});
