// S21: a logout token, a DPoP proof or a client assertion of the same issuer is not an access
// token. Against an RS that ignores typ (golang-jwt, PyJWT, jsonwebtoken accept any), these are
// accepted because of that one rule, already failed by S20: here they are graded SHOULD (RFC
// 8725 §3.12 asks for mutually exclusive rules), so the typ finding is counted once.
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { conclude, sendForgeries } from './forged.ts';

export default check({
  id: 'rs-claims.other-jwt-kinds',
  catalog: 'S21',
  title: 'Other JWT kinds of the same issuer (logout token, DPoP proof, client assertion) are refused',
  spec: ['RFC8725-3.12', 'RFC8725-3.11', 'RFC9068-4'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const run = await sendForgeries(t, 'S21', { why: 'a token of the trusted issuer' });
    if (run.problems.length && !run.control.typEnforced)
      t.note('the RS does not tell access tokens apart by typ (S20), so these findings are graded SHOULD here');
    conclude(t, run, 'JWTs of other kinds', run.control.typEnforced ? 'MUST' : 'SHOULD');
  },
});
