import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { tokenTypes } from '../../harness/steps/index.ts';

export default check({
  id: 'token-exchange.valid-exchange',
  catalog: 'X01',
  title: 'A valid token exchange answers 200 with access_token, issued_token_type and token_type',
  spec: ['RFC8693-2.1', 'RFC8693-2.2.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    await t.steps.requireExchange();
    const subject = await t.steps.audienceToken();
    const answer = await t.steps.exchange({ subjectToken: subject.accessToken, requestedTokenType: tokenTypes.accessToken });
    t.assert(
      answer.status === 200,
      `exchanging a valid access token answered HTTP ${answer.status} ${String(answer.body.error ?? '')} ${String(answer.body.error_description ?? '')}`.trim(),
    );
    const missing = (['access_token', 'issued_token_type', 'token_type'] as const).filter(
      (member) => typeof answer.body[member] !== 'string' || answer.body[member] === '',
    );
    t.assert(missing.length === 0, `the exchange answer lacks ${missing.join(', ')} (RFC 8693 §2.2.1: REQUIRED)`);
    t.should(
      answer.body.issued_token_type === tokenTypes.accessToken,
      `issued_token_type is ${String(answer.body.issued_token_type)} though ${tokenTypes.accessToken} was requested`,
    );
    t.should(
      /^no-store/i.test(answer.headers.get('cache-control') ?? ''),
      'the exchange answer carries no Cache-Control: no-store (RFC 6749 §5.1)',
    );
    t.passReason(`exchange issued a ${String(answer.body.token_type)} token of type ${String(answer.body.issued_token_type)}`);
  },
});
