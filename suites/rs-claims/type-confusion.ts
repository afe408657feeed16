// S24: a claim of the wrong JSON type never crashes the RS (MUST); it is refused when the claim
// is one the RS validates (exp, nbf, iss, aud; scope when the protected URL requires one) —
// MUST — and should be refused in claims it may not use (sub, jti, iat, client_id) — SHOULD.
// `scope` as an array of exactly the granted values grants no more than the string form (RFC 9068
// §2.2.3, RFC 8693 §4.2 name the string; nothing makes the array a MUST-level flaw): the case is
// graded SHOULD; null, true and an object in scope stay MUST where the RS checks a scope.
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeProblems, isSoft, sendForgeries } from './forged.ts';

const claimOf = (name: string) => /^type-([a-z_]+)-/.exec(name)?.[1] ?? (name === 'proto-aud' ? 'aud' : '');

export default check({
  id: 'rs-claims.type-confusion',
  catalog: 'S24',
  title: 'Claims of the wrong JSON type and __proto__ members never crash the RS and are refused',
  spec: ['RFC7519-4.1', 'RFC9068-2.2', 'RFC8725-3.10'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const run = await sendForgeries(t, 'S24', { why: 'signing a claim change' });
    const validated = new Set(['exp', 'nbf', 'iss', 'aud', ...(t.profile.resourceServer?.scope ? ['scope'] : [])]);
    const hard = run.problems.filter(
      (entry) => !isSoft(entry) && (validated.has(claimOf(entry.forged.name)) || !/^accepted/.test(entry.problem)),
    );
    const soft = run.problems.filter((entry) => !hard.includes(entry));
    if (hard.length) t.fail(describeProblems({ ...run, problems: [...hard, ...soft] }));
    if (soft.length) t.warn(`accepted wrong-typed claims it may not use: ${describeProblems({ ...run, problems: soft })}`);
    if (!run.cases.length) t.error('the test issuer produced no type-confusion tokens');
    t.passReason(
      `refused all ${run.cases.length} tokens with a wrong-typed claim, none with a server error${run.notes.length ? ` (${run.notes.join('; ')})` : ''}`,
    );
  },
});
