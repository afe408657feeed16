import { decodeJwt } from 'jose';
import type { HttpAnswer, TokenAnswer } from '../../harness/oauth/client.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { jwsHeader } from '../../harness/steps/index.ts';
import { scopesIn } from '../../harness/steps/introspection.ts';

/** What a token carries, where the harness can see it: its JWT claims, else introspection. */
async function visibleClaims(t: CheckContext, token: string): Promise<Record<string, unknown> | undefined> {
  if (jwsHeader(token)) return decodeJwt(token);
  if (!(await t.steps.canIntrospect())) return undefined;
  const { body } = await t.steps.requireIntrospection(token);
  return body.active === true ? body : undefined;
}

/**
 * The scope an exchange granted: the token's own (JWT or introspection) where visible, else
 * what the answer says. RFC 8693 §2.2.1: `scope` may be left out only when it is identical to the
 * requested scope, so a missing member means "what was asked".
 */
async function grantedScope(t: CheckContext, answer: HttpAnswer<TokenAnswer>, requested: string | undefined) {
  const claims = await visibleClaims(t, String(answer.body.access_token));
  const declared = typeof answer.body.scope === 'string' ? answer.body.scope.split(' ').filter(Boolean) : requested?.split(' ');
  if (claims && scopesIn(claims).form !== 'none') return { scopes: scopesIn(claims).scopes, via: 'the issued token' };
  if (declared)
    return {
      scopes: declared,
      via: typeof answer.body.scope === 'string' ? 'the scope member' : 'the request (no scope member, RFC 8693 §2.2.1)',
    };
  return undefined;
}

export default check({
  id: 'token-exchange.no-escalation',
  catalog: 'X05',
  title: 'An exchanged token should carry no more scope than the subject token; refusals are 400; delegation records act',
  spec: ['RFC8693-2.2.1', 'RFC8693-4.1', 'RFC6749-3.3'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  dependsOn: ['token-exchange.valid-exchange'],
  async run(t: CheckContext) {
    const known = (t.profile.issuer?.clients?.primary.scopes ?? []).filter((scope) => scope !== 'openid');
    if (known.length < 2)
      t.skip(
        'the profile lists fewer than two scopes for the primary client (issuer.clients.primary.scopes): no narrower subject to escalate from',
      );
    const [narrow, ...wider] = known as [string, ...string[]];
    const params = t.steps.tokenParamsOf();
    const audience = t.steps.introspectionAudience();
    const subject = await t.steps.clientCredentialsToken(t.steps.client(), {
      ...params,
      ...(audience && !('resource' in params) && !('audience' in params) && { resource: audience }),
      scope: narrow,
    });
    const subjectScope = (await visibleClaims(t, subject.access_token)) ?? {};
    const held = scopesIn(subjectScope).form === 'none' ? (subject.scope ?? narrow).split(' ') : scopesIn(subjectScope).scopes;
    t.note(`subject token scope: ${held.join(' ')}`);
    if (wider.every((scope) => held.includes(scope)))
      t.error(`the subject token requested with scope ${narrow} already holds ${held.join(' ')}`);

    const verdicts: string[] = [];
    for (const requested of [[narrow, ...wider].join(' '), undefined]) {
      const label = requested ? `scope "${requested}"` : 'no scope';
      const answer = await t.steps.exchange({ subjectToken: subject.access_token, ...(requested && { scope: requested }) });
      if (answer.status !== 200) {
        // RFC 8693 §2.2.2: a refused exchange is an RFC 6749 §5.2 error response, 400 (a MUST that stays).
        t.assert(
          answer.status === 400,
          `an exchange asking ${label} answered HTTP ${answer.status}: RFC 8693 §2.2.2 refuses with an RFC 6749 §5.2 error (400)`,
        );
        verdicts.push(`${label} → refused (${String(answer.body.error)})`);
        continue;
      }
      const granted = await grantedScope(t, answer, requested);
      if (!granted) {
        verdicts.push(`${label} → granted, scope not visible`);
        continue;
      }
      const extra = granted.scopes.filter((scope) => !held.includes(scope));
      // RFC 8693 puts no MUST here: §2.1's scope is "the desired scope of the requested security
      // token", §2.2.1 only wants scope echoed when it differs, and §5 leaves what to issue to
      // the server's policy. A wider scope than the subject's is a least-privilege finding: warn.
      t.should(
        extra.length === 0,
        `an exchange asking ${label} issued a token with ${extra.join(' ')} beyond the subject token's ${held.join(' ')} (per ${granted.via}); RFC 8693 §2.1 leaves the issued scope to policy (§5), so this is a warning, not a violation`,
      );
      verdicts.push(
        `${label} → ${granted.scopes.join(' ') || '(no scope)'}${extra.length ? ` (wider: ${extra.join(' ')})` : ''}`,
      );
    }

    // Delegation (RFC 8693 §1.1, §4.1): with an actor token the issued token says who acts.
    const actorClient = t.profile.issuer?.clients?.secondary ? 'secondary' : 'primary';
    const actor = await t.steps.audienceToken(actorClient);
    const delegated = await t.steps.exchange({ subjectToken: subject.access_token, actorToken: actor.accessToken });
    if (delegated.status === 200) {
      const claims = await visibleClaims(t, String(delegated.body.access_token));
      if (!claims) t.note('the delegated token is opaque and cannot be introspected: act not checked');
      else {
        const act = claims.act as { sub?: unknown } | undefined;
        t.should(
          act && typeof act === 'object' && typeof act.sub === 'string',
          'a delegated token (actor_token given) carries no act claim with the actor (RFC 8693 §4.1)',
        );
        verdicts.push(`delegation → act ${JSON.stringify(act?.sub)}`);
      }
    } else verdicts.push(`delegation refused (HTTP ${delegated.status} ${String(delegated.body.error ?? '')})`.trim());
    t.passReason(`subject holds ${held.join(' ')}: ${verdicts.join('; ')}`);
  },
});
