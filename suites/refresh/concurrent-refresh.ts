import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeLogin } from '../../harness/steps/index.ts';
import { said } from '../token-endpoint/answers.ts';
import { invalidationRule } from './rotation.ts';

const parallel = 8;

export default check({
  id: 'refresh.concurrent-refresh',
  catalog: 'R09',
  title: 'Concurrent refreshes with one refresh token leave at most one live refresh token',
  // tokenproof's own rule, from RFC 9700 §4.14.2: a race must not fork the family into two live lineages.
  // MUST only where used refresh tokens must die (a public client, or declared refresh_rotation);
  // otherwise RFC 6749 §6 lets old refresh tokens live on ("MAY revoke"), and several live ones are a warning.
  spec: ['RFC9700-4.14.2', 'RFC6749-10.4', 'RFC6749-6'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'login'],
  async run(t: CheckContext) {
    const user = await t.steps.userRefreshToken();
    const rt = user.refreshToken;
    const invalidation = invalidationRule(t, user.auth, user);
    t.note(`${describeLogin(user)}; sending ${parallel} refreshes with the same refresh token at once`);
    const answers = await Promise.all(Array.from({ length: parallel }, () => t.steps.refresh(rt, { auth: user.auth })));
    const tokens = new Map<string, number>();
    answers.forEach((answer, index) => {
      const next = answer.body.refresh_token;
      const label =
        answer.status !== 200
          ? ''
          : next === undefined
            ? ', no new refresh token'
            : next === rt
              ? ', the same refresh token'
              : `, refresh token #${(tokens.get(next) ?? tokens.size) + 1}`;
      if (answer.status === 200 && next && !tokens.has(next)) tokens.set(next, tokens.size);
      t.note(`request ${index + 1}: ${said(answer)}${label}`);
    });
    const succeeded = answers.filter((answer) => answer.status === 200).length;
    t.assert(
      answers.every((answer) => answer.status < 500),
      `the race made the token endpoint fail: ${answers
        .filter((a) => a.status >= 500)
        .map(said)
        .join(', ')}`,
    );
    if (succeeded === 0) t.error('no concurrent refresh succeeded: the race was not observed');
    // Which of the handed-out refresh tokens still work? (The original too, when it came back unrotated.)
    const candidates = [...tokens.keys()];
    let live = 0;
    for (const token of candidates) if ((await t.steps.refresh(token, { auth: user.auth })).status === 200) live++;
    const rules =
      t.profile.issuer?.profile === 'fapi2'
        ? `fapi2 rules: retries inside the ${t.profile.issuer.graceWindow ?? '(undeclared)'} ms grace window may succeed`
        : 'rfc9700 rules: a refresh token works once';
    t.note(rules);
    const summary = `${parallel} concurrent refreshes (${rules}): ${succeeded} × HTTP 200, ${parallel - succeeded} refused; ${candidates.length} distinct refresh token(s) handed out, ${live} still live`;
    const forked = `${summary}: the race forked the grant into ${live} live refresh tokens`;
    if (invalidation.required) t.assert(live <= 1, `${forked} (required: ${invalidation.why})`);
    else t.should(live <= 1, `${forked}; not a MUST here: ${invalidation.why}`);
    t.passReason(summary);
  },
});
