import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

export default check({
  id: 'token-exchange.missing-types',
  catalog: 'X02',
  title: 'A missing subject_token_type, or an actor_token without actor_token_type, is invalid_request',
  spec: ['RFC8693-2.1', 'RFC8693-2.2.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  dependsOn: ['token-exchange.valid-exchange'],
  async run(t: CheckContext) {
    const subject = await t.steps.audienceToken();
    const actor = await t.steps.audienceToken();
    const cases = [
      { label: 'no subject_token_type', request: { subjectToken: subject.accessToken, subjectTokenType: null } },
      {
        label: 'an actor_token without actor_token_type',
        request: { subjectToken: subject.accessToken, actorToken: actor.accessToken, actorTokenType: null },
      },
    ];
    const wrong: string[] = [];
    for (const { label, request } of cases) {
      const answer = await t.steps.exchange(request);
      if (answer.status !== 400 || answer.body.error !== 'invalid_request')
        wrong.push(`${label}: HTTP ${answer.status} ${String(answer.body.error ?? '')}`.trim());
    }
    // §2.1: subject_token_type is REQUIRED; actor_token_type is REQUIRED when actor_token is present.
    t.assert(wrong.length === 0, `expected 400 invalid_request (RFC 8693 §2.1, RFC 6749 §5.2): ${wrong.join('; ')}`);
    t.passReason(`${cases.length} requests missing a REQUIRED type were answered 400 invalid_request`);
  },
});
