import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeAnswer, isAccepted, isRefusal, oauthChallenge } from './answers.ts';

/** A valid token for the RS without the scope its protected URL requires, or a skip saying why there is none. */
export async function tokenWithoutScope(t: CheckContext): Promise<{ token: string; scope: string }> {
  const rsProfile = t.target.profile.resourceServer!;
  const required = (rsProfile.scope ?? '').split(' ').filter(Boolean);
  if (required.length === 0) t.skip('the profile names no scope the protected URL requires (resourceServer.scope)');
  const control = await t.steps.resourceServer.control();
  if (control.trusts === 'harness') {
    const scope = 'tokenproof-unrelated-scope';
    return { token: await control.token({ claims: { scope } }), scope };
  }
  const granted = t.target.profile.issuer?.clients?.primary?.scopes ?? [];
  const other = granted.find((scope) => !required.includes(scope) && scope !== 'openid');
  if (!other) t.skip(`the primary client has no scope other than ${required.join(' ')} to ask the target issuer for`);
  const params = t.target.profile.issuer?.clients?.primary?.tokenParams ?? {};
  const vendor = 'resource' in params || 'audience' in params;
  const issued = await t.steps.clientCredentialsToken(t.steps.client(), {
    ...params,
    ...(!vendor && { resource: rsProfile.audience }),
    scope: other,
  });
  if (issued.scope?.split(' ').some((scope) => required.includes(scope)))
    t.error(`the target issuer granted ${issued.scope} although ${other} was asked for`);
  return { token: issued.access_token, scope: other };
}

export default check({
  id: 'rs-errors.insufficient-scope',
  catalog: 'E04',
  title: 'A valid token without the required scope is refused (403 insufficient_scope)',
  spec: ['RFC6750-3', 'RFC6750-3.1'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const { token, scope } = await tokenWithoutScope(t);
    const required = t.target.profile.resourceServer!.scope!;
    const answer = await t.steps.resourceServer.withBearer(token);
    t.note(`a valid token with scope "${scope}" (the URL requires "${required}"): ${describeAnswer(answer)}`);
    t.assert(
      !isAccepted(answer),
      `a valid token without the required scope "${required}" was accepted (HTTP ${answer.status}): an authorization bypass`,
    );
    t.assert(isRefusal(answer), `a token without the required scope: ${describeAnswer(answer)} instead of a refusal`);
    const challenge = oauthChallenge(answer);
    // RFC 6750 §3: a token "that does not enable access" also gets a challenge (MUST).
    t.assert(
      challenge,
      `a token without the required scope was refused without a WWW-Authenticate Bearer challenge (${describeAnswer(answer)}); RFC 6750 §3: MUST`,
    );
    t.should(
      answer.status === 403 && challenge.params.error === 'insufficient_scope',
      `a token without the required scope: ${describeAnswer(answer)}; RFC 6750 §3.1: SHOULD be 403 with error="insufficient_scope"`,
    );
    t.passReason(
      `refused with 403 and error="insufficient_scope"${challenge.params.scope ? ` (scope="${challenge.params.scope}")` : ''}`,
    );
  },
});
