// The positive control: without an accepted valid token no refusal below means anything.
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { PreconditionFailed } from '../../harness/runner/verdict.ts';

export default check({
  id: 'rs-claims.valid-token',
  catalog: 'S01',
  title: 'A valid access token is accepted (positive control)',
  spec: ['RFC9068-4', 'RFC6750-2.1'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const control = await t.steps.resourceServer.control().catch((error: unknown) => {
      if (error instanceof PreconditionFailed) t.fail(error.message.replace(/^the positive control S01 \([^)]*\) failed: /, ''));
      throw error;
    });
    // Spring Security 7's default: the RFC 9068 type refused, the generic one accepted. A finding of
    // its own; the rest of the matrix runs with JWT, so it still says something about every rule.
    if (control.atJwtRefused) t.fail(control.summary);
    t.passReason(control.summary);
  },
});
