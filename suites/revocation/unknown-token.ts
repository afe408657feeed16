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
      { label: 'a garbage JWT-shaped token', token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', hint: undefined, jwt: true },
    ];
    const wrong: string[] = [];
    const notes: string[] = [];
    for (const probe of probes) {
      const answer = await t.steps.revoke(probe.token, { ...(probe.hint && { hint: probe.hint }) });
      // §2.2.1: a server that cannot revoke a token type (self-contained JWT access tokens, say)
      // may answer unsupported_token_type for a token of that shape.
      if (probe.jwt && answer.status === 400 && answer.body.error === 'unsupported_token_type') {
        notes.push('the JWT-shaped token was answered unsupported_token_type (the issuer does not revoke JWTs, §2.2.1)');
        continue;
      }
      if (answer.status !== 200) wrong.push(`${probe.label}: HTTP ${answer.status} ${String(answer.body.error ?? '')}`.trim());
    }
    t.assert(wrong.length === 0, `revoking an invalid token must answer 200 (RFC 7009 §2.2): ${wrong.join('; ')}`);
    t.passReason(
      `${probes.length - notes.length} unknown or garbage tokens were answered 200${notes.length ? `; ${notes.join('; ')}` : ''}`,
    );
  },
});
