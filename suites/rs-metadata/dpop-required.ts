import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { PreconditionFailed } from '../../harness/runner/verdict.ts';
import { describeAnswer, isAccepted } from '../rs-errors/answers.ts';

export default check({
  id: 'rs-metadata.dpop-required',
  catalog: 'M05',
  title: 'dpop_bound_access_tokens_required: true means a bearer token is refused',
  spec: ['RFC9728-2', 'RFC9449-7.2'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const { document, url } = await t.steps.resourceMetadata.requireMetadata();
    if (document.dpop_bound_access_tokens_required !== true)
      t.skip(
        `the metadata at ${url} does not require DPoP-bound tokens (dpop_bound_access_tokens_required is ${JSON.stringify(document.dpop_bound_access_tokens_required ?? null)})`,
      );
    // The S01 control sends plain bearer tokens: an RS that requires DPoP accepts none of them.
    const rs = t.steps.resourceServer;
    const control = await rs.control().catch((error: unknown) => {
      if (error instanceof PreconditionFailed) return undefined;
      throw error;
    });
    if (!control) {
      t.passReason(
        'every valid bearer token of the positive control (S01) was refused, as dpop_bound_access_tokens_required says',
      );
      return;
    }
    const answer = await rs.withBearer(await control.token());
    t.assert(
      !isAccepted(answer),
      `the metadata requires DPoP-bound tokens, yet a valid bearer token (not DPoP-bound) was accepted (${describeAnswer(answer)})`,
    );
    t.passReason(`a valid bearer token was refused (HTTP ${answer.status}), as dpop_bound_access_tokens_required says`);
  },
});
