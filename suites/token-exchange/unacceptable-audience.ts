import { randomBytes } from 'node:crypto';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

export default check({
  id: 'token-exchange.unacceptable-audience',
  catalog: 'X04',
  title: 'An exchange for an unknown audience or resource is refused (invalid_target)',
  spec: ['RFC8693-2.2.2', 'RFC8707-2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  dependsOn: ['token-exchange.valid-exchange'],
  async run(t: CheckContext) {
    const subject = await t.steps.audienceToken();
    const nowhere = `https://unknown-${randomBytes(6).toString('hex')}.tokenproof.invalid/api`;
    const answers = [
      { label: `audience ${nowhere}`, answer: await t.steps.exchange({ subjectToken: subject.accessToken, audience: nowhere }) },
      { label: `resource ${nowhere}`, answer: await t.steps.exchange({ subjectToken: subject.accessToken, resource: nowhere }) },
    ];
    for (const { label, answer } of answers) {
      t.assert(answer.status !== 200, `an exchange for ${label} (a target no server has) was granted`);
      t.assert(answer.status === 400 || answer.status === 401, `an exchange for ${label} answered HTTP ${answer.status}`);
      // §2.2.2: "If the authorization server is unwilling or unable to issue a token for any target
      // service ... it SHOULD use invalid_target".
      t.should(
        answer.body.error === 'invalid_target',
        `an exchange for ${label} was refused with ${JSON.stringify(answer.body.error)}, not invalid_target (RFC 8693 §2.2.2 SHOULD)`,
      );
    }
    t.passReason(answers.map(({ label, answer }) => `${label} → HTTP ${answer.status} ${String(answer.body.error)}`).join('; '));
  },
});
