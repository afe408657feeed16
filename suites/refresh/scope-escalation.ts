import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeLogin } from '../../harness/steps/index.ts';
import { grantedScope, said } from '../token-endpoint/answers.ts';
import { unregisteredScope } from '../token-endpoint/scope-not-allowed.ts';

export default check({
  id: 'refresh.scope-escalation',
  catalog: 'R02',
  title: 'A refresh asking for more scope than was granted is refused (invalid_scope)',
  spec: ['RFC6749-6', 'RFC6749-3.3'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'login'],
  async run(t: CheckContext) {
    const clientScopes = t.profile.issuer?.clients?.primary.scopes ?? [];
    // openid and offline_access stay in the login: some issuers give refresh tokens only with them.
    const kept = new Set(['openid', 'offline_access']);
    const base = clientScopes.filter((scope) => kept.has(scope));
    const extra = clientScopes.filter((scope) => !kept.has(scope));
    // Log in with less than the client may have, then ask for all of it: the scopes the user never granted.
    const browser = t.profile.issuer?.login?.steps !== undefined && extra.length >= 2;
    const granted = browser ? [...base, extra[0]!] : undefined;
    const user = await t.steps.userRefreshToken(granted ? { scope: granted.join(' ') } : {});
    const notGranted = granted ? extra.slice(1) : [unregisteredScope];
    const requested = [...(granted ?? base), ...notGranted];
    t.note(
      `${describeLogin(user)}; granted ${granted?.join(' ') ?? '(as the login gave it)'}, asking for ${requested.join(' ')}`,
    );
    const answer = await t.steps.refresh(user.refreshToken, { auth: user.auth, scope: requested.join(' ') });
    if (answer.status !== 200) {
      t.assert(answer.status < 500, `a broader scope made the token endpoint fail with ${said(answer)}`);
      t.assert(answer.status === 400, `a broader scope answered ${said(answer)}, not a 400 refusal`);
      t.should(
        answer.body.error === 'invalid_scope',
        `a broader scope answered ${said(answer)}, not invalid_scope (RFC 6749 §5.2)`,
      );
      t.passReason(`asking for ${notGranted.join(' ')} on refresh is refused: ${said(answer)}`);
      return;
    }
    // §3.3 allows narrowing: a 200 that grants only what the user granted is no escalation.
    const issued = grantedScope(answer, requested);
    const escalated = notGranted.filter((scope) => issued.scopes.includes(scope));
    t.assert(
      escalated.length === 0,
      issued.from === 'requested (no scope in the answer)'
        ? `HTTP 200 without a scope parameter: RFC 6749 §3.3 reads that as granting ${escalated.join(' ')}, which the user never granted`
        : `the refreshed token carries ${escalated.join(' ')}, which the user never granted (${issued.from})`,
    );
    t.passReason(`the refresh narrowed the scope to ${issued.scopes.join(' ')} (${issued.from}): nothing beyond the grant`);
  },
});
