// S15: an issuer that starts signing with a new key (published at the same moment) must not lock
// its users out: the RS refetches on the unknown kid. Right after S12 the RS may sit in a refetch
// cool-down, so the check polls (bounded) and reports how long the new key was refused. With a
// declared resourceServer.jwksCacheWindow it waits that window + 5 s, however long (ASP.NET
// JwtBearer refetches at most every 5 min), and a miss is a MUST failure; with none declared it
// waits 60 s and a miss is a warning: OIDC Core §10.1.1 describes the refetch, it sets no time.
import { pollUntil } from '../../harness/lib/poll.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import type { TestKeyAlg } from '../../harness/test-issuer/keys.ts';
import { harnessControl, judge, seconds } from './forged.ts';

const defaultBoundMs = 60_000;
const marginMs = 5_000;
/** The longest the check waits at all, whatever the declared window (its time limit is above it). */
export const longestWaitMs = 15 * 60_000;

export interface RotationWait {
  boundMs: number;
  /** The level a miss is graded at. */
  level: 'MUST' | 'SHOULD';
  /** Why the bound, in the reader's terms. */
  basis: string;
}

/** How long to wait for a rotated-in key, and how a miss is graded, given the declared window. */
export function rotationWait(declaredMs: number | undefined): RotationWait {
  if (declaredMs === undefined)
    return {
      boundMs: defaultBoundMs,
      level: 'SHOULD',
      basis: `no resourceServer.jwksCacheWindow declared, so the default ${seconds(defaultBoundMs)} (set it to judge a miss at MUST)`,
    };
  const wanted = declaredMs + marginMs;
  if (wanted > longestWaitMs)
    return {
      boundMs: longestWaitMs,
      level: 'SHOULD',
      basis: `the declared cache window ${seconds(declaredMs)} + ${seconds(marginMs)} is longer than the check waits (${seconds(longestWaitMs)})`,
    };
  return { boundMs: wanted, level: 'MUST', basis: `the declared cache window ${seconds(declaredMs)} + ${seconds(marginMs)}` };
}

export default check({
  id: 'rs-claims.rotated-key',
  catalog: 'S15',
  title: 'A token signed by a freshly rotated-in key is accepted (refetch on an unknown kid)',
  spec: ['RFC9068-4', 'OIDC-Core-10.1.1', 'RFC7517-5'],
  level: 'MUST',
  needs: ['resourceServer'],
  timeoutMs: longestWaitMs + 60_000,
  async run(t: CheckContext) {
    const control = await harnessControl(t, 'a key the RS trusts that the harness rotates in');
    const testIssuer = t.target.testIssuer!;
    // An RS that declares its key cache window has the new key by then at the latest (its
    // periodic refresh), whatever its unknown-kid cool-down.
    const declared = t.profile.resourceServer?.jwksCacheWindow;
    const { boundMs, level, basis } = rotationWait(declared);
    const kid = await testIssuer.rotate(control.algs[0] as TestKeyAlg);
    const key = testIssuer.keys.find(kid)!;
    const problems: string[] = [];
    const result = await pollUntil(
      async () => {
        const token = await control.token({ key });
        const answer = await t.steps.resourceServer.withBearer(token);
        if (answer.status >= 200 && answer.status < 300) return true;
        const { problem } = judge(answer, token, 'reject');
        if (problem) problems.push(problem);
        return undefined;
      },
      { timeoutMs: boundMs, intervalMs: boundMs > defaultBoundMs ? 1000 : 200, signal: t.signal },
    );
    const waited = seconds(result.elapsedMs);
    if (!result.value)
      t.fail(
        `tokens signed by the newly published key ${kid} were still refused after ${waited} (waited ${basis}): the RS does not refetch its issuer's keys on an unknown kid${problems.length ? ` (${[...new Set(problems)].join('; ')})` : ''}`,
        level,
      );
    t.passReason(
      result.attempts === 1
        ? `accepted a token of the newly published key ${kid} at once`
        : `accepted a token of the newly published key ${kid} after ${waited} (${result.attempts - 1} refusals first: a refetch cool-down)`,
    );
  },
});
