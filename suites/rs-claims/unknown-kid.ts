// S12: refusing an unknown kid is MUST; refetching the JWKS for every unknown kid lets anyone
// make the RS hammer its issuer, so "at most once per cool-down" is a SHOULD (t.warn). The burst
// lasts well under a second: one refetch for it and one periodic refresh landing inside it are
// fine; three or more fetches for five kids mean (nearly) one per token.
import { pollUntil } from '../../harness/lib/poll.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import type { TestKeyAlg } from '../../harness/test-issuer/keys.ts';
import { conclude, harnessControl, judge, sendForgeries } from './forged.ts';

const burst = 5;

export default check({
  id: 'rs-claims.unknown-kid',
  catalog: 'S12',
  title: 'Unknown kids are refused, with at most one JWKS refetch per cool-down',
  spec: ['RFC7515-4.1.4', 'RFC9068-4', 'OIDC-Core-10.1.1'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    if (!t.target.testIssuer) {
      // trusts: issuer — the refusal can still be judged; the target issuer's JWKS fetches cannot be counted.
      const run = await sendForgeries(t, 'S12');
      conclude(
        t,
        run,
        "tokens with an unknown kid (JWKS refetches not counted: the harness does not see the target issuer's JWKS)",
      );
      return;
    }
    const control = await harnessControl(t, "the harness test issuer's JWKS fetch counter");
    const testIssuer = t.target.testIssuer;
    const forger = testIssuer.forger.withTyp(control.typ);
    const mark = testIssuer.jwksFetches.mark();
    const started = performance.now();
    const problems: string[] = [];
    for (let i = 0; i < burst; i++) {
      const token = await forger.unknownKidToken(control.algs[0] as TestKeyAlg);
      t.redactor.register(token);
      const answer = await t.steps.resourceServer.withBearer(token);
      const { problem } = judge(answer, token, 'reject');
      if (problem) problems.push(`unknown kid #${i + 1}: ${problem}`);
    }
    const burstMs = Math.round(performance.now() - started);
    // A refetch may follow the answer; give one that the last token triggered a moment to arrive.
    await pollUntil(async () => (testIssuer.jwksFetches.countSince(mark) >= burst ? true : undefined), {
      timeoutMs: 300,
      intervalMs: 50,
      signal: t.signal,
    });
    const fetches = testIssuer.jwksFetches.countSince(mark);
    t.note(`${fetches} JWKS fetch(es) while ${burst} tokens with unknown kids were sent within ${burstMs} ms`);
    if (problems.length) t.fail(problems.join('; '));
    t.should(
      fetches <= 2,
      `refetched the JWKS ${fetches} times for ${burst} unknown kids sent within ${burstMs} ms: no refetch cool-down, so anyone can make the RS hammer its issuer`,
    );
    t.passReason(`refused ${burst} tokens with unknown kids; ${fetches} JWKS fetch(es) for all of them`);
  },
});
