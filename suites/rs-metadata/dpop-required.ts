import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { PreconditionFailed } from '../../harness/runner/verdict.ts';
import { generateDpopKey, jktOf } from '../../harness/test-issuer/dpop-proofs.ts';
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
      if (error instanceof PreconditionFailed) return { failed: error.message };
      throw error;
    });
    if ('failed' in control) {
      // Refusing every bearer token proves nothing by itself (an RS that refuses everything does
      // too): the refusals count only once a valid DPoP-bound token is seen accepted.
      const accepted = await boundTokenAccepted(t, control.failed);
      t.passReason(
        `every valid bearer token of the positive control (S01) was refused, as dpop_bound_access_tokens_required says, while ${accepted}`,
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

/**
 * The positive control for an RS that refuses every bearer token: a valid token bound to a fresh
 * key (cnf.jkt, forged by the harness test issuer, typ at+jwt, else JWT as S01 would) with a valid
 * proof. Says what was accepted; `error` when nothing was, since then nothing could be examined.
 */
async function boundTokenAccepted(t: CheckContext, controlFailure: string): Promise<string> {
  const nothing = `${controlFailure}; so nothing this RS accepts could be examined, and its refusal of bearer tokens says nothing about dpop_bound_access_tokens_required`;
  const testIssuer = t.target.testIssuer;
  if (t.profile.resourceServer?.trusts !== 'harness' || !testIssuer)
    t.error(`${nothing} (against an RS that trusts the target issuer, a DPoP-bound token is had only after S01 succeeds)`);
  const key = generateDpopKey();
  const jkt = await jktOf(key);
  const url = t.steps.resourceServer.resourceUrl();
  const parsed = new URL(url);
  const tried: string[] = [];
  for (const typ of ['at+jwt', 'JWT']) {
    const token = testIssuer.forger.dpopBound(jkt, { header: { typ } });
    t.redactor.register(token);
    const answer = await t.steps.dpop.sendFresh({ key, jkt, token, url, htu: `${parsed.origin}${parsed.pathname}` });
    t.note(`a valid DPoP-bound token (typ ${typ}) with a valid proof: ${describeAnswer(answer)}`);
    if (isAccepted(answer))
      return `a valid DPoP-bound token (typ ${typ}) with a valid proof was accepted (HTTP ${answer.status})`;
    tried.push(`typ ${typ}: ${answer.status === 0 ? 'no answer' : `HTTP ${answer.status}`}`);
  }
  t.error(`${nothing}: a valid DPoP-bound token with a valid proof was refused too (${tried.join(', ')})`);
}
