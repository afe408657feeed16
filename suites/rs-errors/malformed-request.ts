import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeAnswer, isAccepted, oauthChallenge } from './answers.ts';

export function withQueryToken(url: string, token: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
}

export default check({
  id: 'rs-errors.malformed-request',
  catalog: 'E03',
  title: 'A token sent two ways, or an empty Bearer value, is refused (400 invalid_request)',
  spec: ['RFC6750-2', 'RFC6750-3.1'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const rs = t.steps.resourceServer;
    const token = await (await rs.control()).token();

    const empty = await rs.call({ authorization: 'Bearer' });
    t.note(`Authorization: Bearer (no token): ${describeAnswer(empty)}`);
    t.assert(
      !isAccepted(empty),
      `an empty Bearer value was accepted (HTTP ${empty.status}): the resource was served without a token`,
    );
    judgeInvalidRequest(t, 'an empty Bearer value', empty);

    const both = await rs.withBearer(token, { url: withQueryToken(rs.resourceUrl(), token) });
    t.note(`a valid token in the header and the access_token query parameter: ${describeAnswer(both)}`);
    if (isAccepted(both)) {
      // RFC 6750 §2: "Clients MUST NOT use more than one method to transmit the token in each
      // request" binds the client; for the server §3.1 only says it SHOULD answer such a request
      // with 400 invalid_request. Accepting it is a SHOULD-level finding either way; whether the RS
      // also takes query tokens alone only changes what the reader is told.
      const queryOnly = await rs.call({ url: withQueryToken(rs.resourceUrl(), token) });
      t.note(`the same token in the query alone: ${describeAnswer(queryOnly)}`);
      t.warn(
        isAccepted(queryOnly)
          ? "a request carrying the token both in the header and in the access_token query parameter was accepted, and the RS also takes query tokens; RFC 6750 §3.1: SHOULD answer 400 invalid_request to more than one method (§2's MUST NOT binds the client)"
          : "a token in the header and the same token in the access_token query parameter was accepted (the RS ignores query tokens); RFC 6750 §3.1: SHOULD answer 400 invalid_request to more than one method (§2's MUST NOT binds the client)",
      );
    } else {
      judgeInvalidRequest(t, 'a token in the header and the query', both);
    }
    t.passReason('an empty Bearer value and a token sent two ways were refused with 400 invalid_request');
  },
});

function judgeInvalidRequest(t: CheckContext, what: string, answer: Parameters<typeof describeAnswer>[0]): void {
  const challenge = oauthChallenge(answer);
  t.should(
    answer.status === 400 && challenge?.params.error === 'invalid_request',
    `${what}: ${describeAnswer(answer)}; RFC 6750 §3.1: SHOULD be 400 with error="invalid_request"`,
  );
}
