import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeLogin, type UserTokens } from '../../harness/steps/index.ts';
import { grantedScope, jwtClaims, said } from '../token-endpoint/answers.ts';
import { unregisteredScope } from '../token-endpoint/scope-not-allowed.ts';

const words = (value: unknown): string[] =>
  typeof value === 'string'
    ? value.split(' ').filter(Boolean)
    : Array.isArray(value)
      ? value.filter((item): item is string => typeof item === 'string')
      : [];

/**
 * What the login granted, from its token answer: the `scope` member, or the requested scope when
 * the answer omits it (RFC 6749 §5.1: "OPTIONAL, if identical to the scope requested by the
 * client"), plus whatever the login's JWT access token carries (an issuer adding default scopes,
 * as Keycloak adds profile and email, granted them too). Undefined when the token came from a
 * command (no answer to read).
 */
function loginGrant(user: UserTokens): { scopes: Set<string>; from: string } | undefined {
  if (!user.answer) return undefined;
  const requested = words(user.authorization?.scope);
  const answered = typeof user.answer.body.scope === 'string';
  const scopes = new Set(answered ? words(user.answer.body.scope) : requested);
  const claims = jwtClaims(user.answer.body.access_token);
  const claimed = [...words(claims?.scope), ...words(claims?.scp)].filter((scope) => !scopes.has(scope));
  for (const scope of claimed) scopes.add(scope);
  const from = `${answered ? "the login answer's scope" : 'the requested scope (the login answer has no scope, RFC 6749 §5.1)'}${claimed.length ? ` and its access token's scope claim (${claimed.join(' ')})` : ''}`;
  return { scopes, from };
}

export default check({
  id: 'refresh.scope-escalation',
  catalog: 'R02',
  title: 'A refresh asking for more scope than was granted is refused (invalid_scope)',
  // §6: the requested scope "MUST NOT include any scope not originally granted by the resource owner".
  spec: ['RFC6749-6', 'RFC6749-3.3', 'RFC6749-5.1'],
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
    const loginScope = browser ? [...base, extra[0]!] : undefined;
    const user = await t.steps.userRefreshToken(loginScope ? { scope: loginScope.join(' ') } : {});
    // RFC 6749 §6 forbids only scope "not originally granted by the resource owner": what the
    // login granted (an issuer may add default scopes nobody asked for) is not an escalation.
    const grant = loginGrant(user);
    const candidates = loginScope ? extra.slice(1) : [unregisteredScope];
    const notGranted = candidates.filter((scope) => !grant?.scopes.has(scope));
    const grantWords = grant ? `${[...grant.scopes].join(' ') || '(nothing)'} (${grant.from})` : '(as the login gave it)';
    if (notGranted.length === 0)
      t.skip(
        `the login granted ${grantWords}, which covers every scope left to ask for (${candidates.join(' ')}): no ungranted scope is left to probe, and RFC 6749 §6 forbids only scope "not originally granted by the resource owner"`,
      );
    const requested = [...(loginScope ?? base), ...notGranted];
    t.note(`${describeLogin(user)}; the login granted ${grantWords}; refreshing with ${requested.join(' ')}`);
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
        ? `HTTP 200 without a scope parameter: RFC 6749 §3.3 reads that as granting ${escalated.join(' ')}, which the user never granted (RFC 6749 §6: not "originally granted by the resource owner")`
        : `the refreshed token carries ${escalated.join(' ')}, which the user never granted (${issued.from}; RFC 6749 §6: not "originally granted by the resource owner")`,
    );
    t.passReason(
      `asking for ${notGranted.join(' ')} on refresh: the scope was narrowed to ${issued.scopes.join(' ')} (${issued.from}), nothing beyond the grant`,
    );
  },
});
