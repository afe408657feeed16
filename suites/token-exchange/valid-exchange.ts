import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { tokenTypes } from '../../harness/steps/index.ts';
import { hasDirective } from '../token-endpoint/answers.ts';

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
    // RFC 8693 §2.2.1 answers as RFC 6749 §5.1 does, which wants no-store; any position in the
    // directive list counts (`no-cache, no-store` is common), as T02 reads it.
    const cacheControl = answer.headers.get('cache-control');
    t.should(
      hasDirective(cacheControl, 'no-store'),
      `the exchange answer has ${cacheControl ? `Cache-Control: ${cacheControl}` : 'no Cache-Control header'}, without no-store (RFC 6749 §5.1)`,
    );
    t.passReason(`exchange issued a ${String(answer.body.token_type)} token of type ${String(answer.body.issued_token_type)}`);
  },
});
