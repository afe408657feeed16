import { pause } from '../../harness/lib/poll.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeLogin } from '../../harness/steps/index.ts';
import { said } from '../token-endpoint/answers.ts';

/** Without a clock the profile lets us shift, waiting out a window longer than this is not worth a check. */
const longestWait = 15_000;

export default check({
  id: 'refresh.grace-window',
  catalog: 'R08',
  title: 'fapi2: a rotated refresh token still works for a retry inside the declared grace window, and not after it',
  spec: ['FAPI2-SP-5.3.2.1', 'RFC9700-4.14.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'login'],
  profiles: ['fapi2'],
  timeoutMs: 45_000,
  async run(t: CheckContext) {
    const window = t.profile.issuer?.graceWindow;
    if (window === undefined) t.error('the fapi2 profile declares no issuer.graceWindow: the retry window cannot be judged');
    const user = await t.steps.userRefreshToken();
    t.note(`${describeLogin(user)}; declared grace window ${window} ms`);
    const rt1 = user.refreshToken;
    const started = performance.now();
    const rotated = await t.steps.refreshOk(rt1, { auth: user.auth });
    const rt2 = rotated.refresh_token;
    if (!rt2 || rt2 === rt1) t.skip('the refresh tokens do not rotate: there is no rotated token to retry with');
    // The client "lost" the answer and retries with RT1, inside the window.
    const retry = await t.steps.refresh(rt1, { auth: user.auth });
    const elapsed = performance.now() - started;
    if (elapsed >= window)
      t.error(`the retry came ${Math.round(elapsed)} ms after the rotation, not inside the ${window} ms window`);
    t.assert(
      retry.status === 200,
      `a retry with the rotated token ${Math.round(elapsed)} ms after the rotation answered ${said(retry)}`,
    );
    const rt3 = retry.body.refresh_token;

    // After the window: shift the issuer clock past it, or wait it out when it is short.
    const shift = t.steps.canShiftClock();
    if (shift) await t.steps.setIssuerClockOffset(Math.ceil(window / 1000) + 1);
    else if (window <= longestWait) await pause(Math.max(0, window - (performance.now() - started)) + 1_000, t.signal);
    else {
      t.note(`the window (${window} ms) is too long to wait out and the profile gives no issuer.admin.setClockOffset`);
      t.passReason(`a retry inside the ${window} ms window works (${said(retry)}); after the window was not examined`);
      return;
    }
    try {
      const late = await t.steps.refresh(rt1, { auth: user.auth });
      t.assert(late.status !== 200, `RT1 still works after the ${window} ms grace window (HTTP 200)`);
      const live: string[] = [];
      for (const [name, token] of [
        ['RT2', rt2],
        ['RT3', rt3],
      ] as const) {
        if (!token) continue;
        if ((await t.steps.refresh(token, { auth: user.auth })).status === 200) live.push(name);
      }
      t.assert(
        live.length === 0,
        `after RT1 was replayed past the window, ${live.join(' and ')} still work: a live descendant is left`,
      );
      t.passReason(
        `retry inside the window: HTTP 200; after it (${shift ? 'issuer clock shifted' : 'waited out'}): RT1 ${said(late)}, no live descendant`,
      );
    } finally {
      if (shift) await t.steps.setIssuerClockOffset(0);
    }
  },
});
