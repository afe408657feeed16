import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeAnswer, isAccepted } from './answers.ts';
import { withQueryToken } from './malformed-request.ts';

export default check({
  id: 'rs-errors.query-token',
  catalog: 'E05',
  title: 'A token only in the URI query is not accepted',
  spec: ['RFC6750-2.3', 'RFC9700-4.3.2'],
  level: 'SHOULD',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const rs = t.steps.resourceServer;
    const token = await (await rs.control()).token();
    const answer = await rs.call({ url: withQueryToken(rs.resourceUrl(), token) });
    t.note(`a valid token in the access_token query parameter only: ${describeAnswer(answer)}`);
    t.assert(
      !isAccepted(answer),
      'a valid token in the access_token query parameter was accepted: URLs end up in logs, caches and Referer headers (RFC 6750 §2.3 SHOULD NOT be used; RFC 9700 §4.3.2)',
    );
    t.passReason(`a token in the query alone was refused (HTTP ${answer.status})`);
  },
});
