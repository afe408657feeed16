import { randomBytes } from 'node:crypto';
import { pollUntil } from '../../harness/lib/poll.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import type { IntrospectionAnswer } from '../../harness/steps/index.ts';

/** Tokens that live at most this long are waited out to see their expiry; longer ones are not. */
const longestWait = 15_000;

export default check({
  id: 'introspection.inactive-tokens',
  catalog: 'I03',
  title: 'Unknown, revoked and expired tokens are {"active":false} and nothing else',
  spec: ['RFC7662-2.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  dependsOn: ['introspection.active-token'],
  timeoutMs: 45_000,
  async run(t: CheckContext) {
    const judged: string[] = [];
    const judge = (label: string, answer: IntrospectionAnswer) => {
      t.assert(answer.status === 200, `${label}: introspection answered HTTP ${answer.status}, not 200 with active:false`);
      t.assert(answer.body.active === false, `${label} is introspected active: ${JSON.stringify(answer.body.active)}`);
      const extra = Object.keys(answer.body).filter((member) => member !== 'active');
      // §2.2: for an inactive token the server SHOULD NOT include anything but active.
      t.should(extra.length === 0, `${label}: the inactive answer also carries ${extra.join(', ')} (RFC 7662 §2.2 SHOULD NOT)`);
      judged.push(label);
    };

    // A caller that sees no token active (RFC 7662 §4 lets a server hide tokens from it) would
    // make every "inactive" below vacuous.
    const control = await t.steps.audienceToken();
    if ((await t.steps.requireIntrospection(control.accessToken)).body.active !== true)
      t.skip('the introspecting client does not see a live token active (see I01): inactive answers would prove nothing');
    judge('an unknown token', await t.steps.introspect(randomBytes(32).toString('base64url')));

    if (await t.steps.canRevoke()) {
      const revoked = await t.steps.audienceToken();
      const answer = await t.steps.revoke(revoked.accessToken, { hint: 'access_token' });
      if (answer.status !== 200)
        t.note(
          `the revoked case was not exercised: revoking an access token answered HTTP ${answer.status} (RFC 7009 §2 SHOULD)`,
        );
      else {
        const after = await t.steps.introspect(revoked.accessToken);
        // Access-token revocation is a SHOULD (RFC 7009 §2): a revoked access token still active
        // is graded there; refresh tokens (a MUST) are judged by I05.
        if (after.body.active === true)
          t.warn('a revoked access token (revocation answered 200) is still introspected active (RFC 7009 §2, RFC 7662 §2.2)');
        else judge('a revoked access token', after);
      }
    } else t.note('the revoked case was not exercised: the issuer has no revocation endpoint');

    // The expired case: a token for the introspecting party's audience (as the control above),
    // seen active once, then expired. Without that first active answer, a later inactive one would
    // show nothing about expiry (an audience-restricted endpoint calls such a token inactive
    // from the start), so the case is then not counted.
    const short = await t.steps.audienceToken();
    const lifetimeMs = (short.expiresIn ?? Number.POSITIVE_INFINITY) * 1000;
    const fresh = await t.steps.introspect(short.accessToken);
    const waitable = lifetimeMs <= longestWait;
    const shiftable = !waitable && t.steps.canShiftClock() && Number.isFinite(lifetimeMs);
    if (!waitable && !shiftable)
      t.note(
        `the expired case was not exercised: access tokens live ${short.expiresIn ?? 'an unstated time'} s (waited out only up to ${longestWait / 1000} s) and the profile gives no issuer.admin.setClockOffset`,
      );
    else if (fresh.body.active !== true)
      t.note(
        `the expired case was not counted: the token issued for it was never seen active (HTTP ${fresh.status}, active ${JSON.stringify(fresh.body.active)} right after issue), so an inactive answer after its expiry would prove nothing about expiry`,
      );
    else if (waitable) {
      t.note(`the token for the expired case was introspected active right after issue (expires_in ${lifetimeMs / 1000} s)`);
      // Wait out the token's own lifetime (no clock control): polling introspection until it flips.
      const seen = await pollUntil(
        async () => {
          const answer = await t.steps.introspect(short.accessToken);
          return answer.body.active === true ? undefined : answer;
        },
        { timeoutMs: lifetimeMs + 5_000, intervalMs: 500, signal: t.signal },
      );
      t.assert(
        seen.value,
        `an access token is still introspected active more than 5 s after its expires_in (${lifetimeMs / 1000} s)`,
      );
      judge('an expired access token', seen.value);
    } else {
      t.note(`the token for the expired case was introspected active right after issue (expires_in ${lifetimeMs / 1000} s)`);
      // The profile lets the harness move the issuer clock: expire the token without waiting.
      const offsetSeconds = Math.ceil(lifetimeMs / 1000) + 120;
      await t.steps.setIssuerClockOffset(offsetSeconds);
      try {
        judge(`an access token expired by a ${offsetSeconds} s clock shift`, await t.steps.introspect(short.accessToken));
      } finally {
        await t.steps.setIssuerClockOffset(0);
      }
    }

    if (judged.length === 0) t.error('no inactive case was judged');
    t.passReason(`${judged.join(', ')}: introspected {"active":false}`);
  },
});
