import { randomBytes } from 'node:crypto';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

export default check({
  id: 'token-exchange.invalid-subject',
  catalog: 'X03',
  title: 'An invalid, revoked or expired subject_token is refused with invalid_request',
  spec: ['RFC8693-2.2.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  dependsOn: ['token-exchange.valid-exchange'],
  async run(t: CheckContext) {
    const wrong: string[] = [];
    const judged: string[] = [];
    const judge = async (label: string, token: string) => {
      const answer = await t.steps.exchange({ subjectToken: token });
      t.assert(answer.status !== 200, `${label} was exchanged for a new token`);
      // §2.2.2: "If ... either the subject_token or actor_token are invalid for any reason ...
      // The value of the error parameter MUST be the invalid_request error code."
      if (answer.status !== 400 || answer.body.error !== 'invalid_request')
        wrong.push(`${label}: HTTP ${answer.status} ${String(answer.body.error ?? '')}`.trim());
      judged.push(label);
    };

    await judge('a garbage subject_token', randomBytes(32).toString('base64url'));

    // A revoked subject only where the issuer says it revoked it (access-token revocation is a
    // SHOULD, RFC 7009 §2) and introspection (where there is one) agrees.
    if (await t.steps.canRevoke()) {
      const revoked = await t.steps.audienceToken();
      const answer = await t.steps.revoke(revoked.accessToken, { hint: 'access_token' });
      const inactive = answer.status === 200 && (await t.steps.activeAtIntrospection(revoked.accessToken)) !== true;
      if (inactive) await judge('a revoked subject_token', revoked.accessToken);
      else t.note('the revoked case was not exercised: the issuer does not revoke access tokens (RFC 7009 §2 SHOULD)');
    }

    // An expired subject, where the profile lets the harness move the issuer clock past its exp.
    if (t.steps.canShiftClock()) {
      const expiring = await t.steps.audienceToken();
      await t.steps.setIssuerClockOffset((expiring.expiresIn ?? 3600) + 120);
      try {
        await judge('an expired subject_token', expiring.accessToken);
      } finally {
        await t.steps.setIssuerClockOffset(0);
      }
    } else t.note('the expired case was not exercised: the profile gives no issuer.admin.setClockOffset');

    t.assert(wrong.length === 0, `expected 400 invalid_request (RFC 8693 §2.2.2): ${wrong.join('; ')}`);
    t.passReason(`${judged.join(', ')}: refused with invalid_request`);
  },
});
