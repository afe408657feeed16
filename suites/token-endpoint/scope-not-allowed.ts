import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { grantedScope, said } from './answers.ts';

/** A scope no client has: nobody registers it, so an issuer that grants it grants anything. */
export const unregisteredScope = 'tokenproof-unregistered-scope';

export default check({
  id: 'token-endpoint.scope-not-allowed',
  catalog: 'T05',
  title: 'A scope the client may not have is refused (invalid_scope) or narrowed with the granted scope echoed',
  spec: ['RFC6749-3.3', 'RFC6749-5.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    const allowed = (t.profile.issuer?.clients?.primary.scopes ?? []).filter((scope) => scope !== 'openid');
    const requested = [...allowed.slice(0, 1), unregisteredScope];
    const answer = await t.steps.token({ grant_type: 'client_credentials', scope: requested.join(' ') });
    if (answer.status !== 200) {
      t.assert(answer.status < 500, `an unregistered scope made the token endpoint fail with ${said(answer)}`);
      t.assert(answer.status === 400, `an unregistered scope answered ${said(answer)}, not a 400 refusal (RFC 6749 §5.2)`);
      t.should(answer.body.error === 'invalid_scope', `the refusal's error is ${answer.body.error}, not invalid_scope`);
      t.passReason(`the scope ${unregisteredScope} is refused: ${said(answer)}`);
      return;
    }
    // §3.3 lets the server narrow the scope; it must then say which scope it granted.
    const granted = grantedScope(answer, requested);
    t.note(`granted scope ${granted.scopes.join(' ') || '(none)'} (read from the ${granted.from})`);
    t.assert(
      !granted.scopes.includes(unregisteredScope),
      granted.from === 'requested (no scope in the answer)'
        ? `HTTP 200 without a scope parameter: RFC 6749 §3.3 reads that as granting the requested ${unregisteredScope}`
        : `the token was granted the unregistered scope ${unregisteredScope} (${granted.from})`,
    );
    t.should(
      typeof answer.body.scope === 'string',
      'the scope was narrowed without a scope parameter in the answer (RFC 6749 §3.3: the server MUST include it when it differs)',
    );
    t.passReason(`narrowed to ${granted.scopes.join(' ') || 'no scope'} (${granted.from}); ${unregisteredScope} not granted`);
  },
});
