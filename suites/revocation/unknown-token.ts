import { randomBytes } from 'node:crypto';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

export default check({
  id: 'revocation.unknown-token',
  catalog: 'V04',
  title: 'Revoking an unknown or garbage token answers 200',
  spec: ['RFC7009-2.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    // §2.2: "invalid tokens do not cause an error response since the client cannot handle such
    // an error in a reasonable way"; the hint must not change that (§2.1).
    const probes = [
      { label: 'an unknown token', token: randomBytes(32).toString('base64url'), hint: undefined },
      { label: 'an unknown token hinted refresh_token', token: randomBytes(32).toString('base64url'), hint: 'refresh_token' },
      { label: 'a garbage JWT-shaped token', token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', hint: undefined },
    ];
    const wrong: string[] = [];
    for (const probe of probes) {
      const answer = await t.steps.revoke(probe.token, { ...(probe.hint && { hint: probe.hint }) });
      if (answer.status !== 200) wrong.push(`${probe.label}: HTTP ${answer.status} ${String(answer.body.error ?? '')}`.trim());
    }
    t.assert(wrong.length === 0, `revoking an invalid token must answer 200 (RFC 7009 §2.2): ${wrong.join('; ')}`);
    t.passReason(`${probes.length} unknown or garbage tokens were answered 200`);
  },
});
