import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeAnswer, isAccepted } from './answers.ts';

export default check({
  id: 'rs-errors.scheme-case',
  catalog: 'E06',
  title: 'The Bearer scheme name is case-insensitive',
  spec: ['RFC9110-11.1', 'RFC6750-2.1'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const rs = t.steps.resourceServer;
    const control = await rs.control();
    const refused: string[] = [];
    const spellings = ['bearer', 'BEARER', 'bEaReR'];
    for (const scheme of spellings) {
      const answer = await rs.call({ authorization: `${scheme} ${await control.token()}` });
      t.note(`Authorization: ${scheme} <valid token>: ${describeAnswer(answer)}`);
      if (!isAccepted(answer)) refused.push(`"${scheme}" (${describeAnswer(answer)})`);
    }
    t.assert(
      refused.length === 0,
      `a valid token was refused under the scheme ${refused.join(', ')}; RFC 9110 §11.1: the scheme is a case-insensitive token`,
    );
    t.passReason(`a valid token was accepted under ${spellings.join(', ')}`);
  },
});
