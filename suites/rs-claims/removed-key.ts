// S14: once the issuer unpublishes a key, its tokens must stop working when the RS's key cache
// has turned over. The window is the RS's design choice, so it is measured and reported; it is a
// failure only against a window the profile declares (resourceServer.jwksCacheWindow).
import { pollUntil } from '../../harness/lib/poll.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import type { TestKeyAlg } from '../../harness/test-issuer/keys.ts';
import { harnessControl, seconds } from './forged.ts';

const defaultBoundMs = 30_000;
const learnBoundMs = 15_000;

export default check({
  id: 'rs-claims.removed-key',
  catalog: 'S14',
  title: 'Tokens signed by a key removed from the JWKS are refused once the cache window has passed',
  spec: ['RFC7517-5', 'RFC9068-4', 'OIDC-Core-10.1.1'],
  level: 'MUST',
  needs: ['resourceServer'],
  timeoutMs: 120_000,
  async run(t: CheckContext) {
    const control = await harnessControl(t, 'a key the RS trusts that the harness publishes and removes');
    const testIssuer = t.target.testIssuer!;
    const declared = t.profile.resourceServer?.jwksCacheWindow;
    // Polling past a declared window (plus a margin) decides it; without one, 30 s is the bound.
    const boundMs = declared !== undefined ? declared + 5_000 : defaultBoundMs;
    const key = await testIssuer.addKey({ alg: control.algs[0] as TestKeyAlg });
    const signed = () => control.token({ key });
    const accepted = async (token: string) => {
      const answer = await t.steps.resourceServer.withBearer(token);
      return answer.status >= 200 && answer.status < 300;
    };
    try {
      // First the RS must trust the new key (an unknown-kid refetch, perhaps after a cool-down).
      const learned = await pollUntil(async () => (await accepted(await signed())) || undefined, {
        timeoutMs: learnBoundMs,
        intervalMs: 250,
        signal: t.signal,
      });
      if (!learned.value)
        t.skip(
          `the RS did not accept a token of the newly published key ${key.kid} within ${seconds(learnBoundMs)} (see S15), so its removal cannot be observed`,
        );
      const cached = await signed();
      t.assert(await accepted(cached), `a second token of the published key ${key.kid} was refused`);
      testIssuer.removeKey(key.kid);
      t.note(`key ${key.kid} removed from the JWKS; polling with fresh tokens and one the RS already accepted`);
      const removed = await pollUntil(
        async () => ((await accepted(await signed())) || (await accepted(cached)) ? undefined : true),
        { timeoutMs: boundMs, intervalMs: 250, signal: t.signal },
      );
      const observed = seconds(removed.elapsedMs);
      if (!removed.value) {
        const still = `tokens of the removed key ${key.kid} were still accepted ${observed} after it left the JWKS`;
        if (declared !== undefined) t.fail(`${still}; the profile declares a cache window of ${seconds(declared)}`);
        t.warn(`${still} (no cache window declared: set resourceServer.jwksCacheWindow to judge it)`);
        t.passReason(still);
        return;
      }
      const window = `refused tokens of the removed key ${key.kid} ${observed} after it left the JWKS (observed cache window, ${removed.attempts} probes)`;
      if (declared !== undefined && removed.elapsedMs > declared)
        t.fail(`${window}: longer than the declared ${seconds(declared)}`);
      t.passReason(declared !== undefined ? `${window}, within the declared ${seconds(declared)}` : window);
    } finally {
      if (testIssuer.keys.isPublished(key.kid)) testIssuer.removeKey(key.kid);
    }
  },
});
