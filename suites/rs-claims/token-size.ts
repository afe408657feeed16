// S27: huge tokens are refused quickly and do not take the RS down. The exchanges are not kept as
// evidence (a 1 MiB header would swamp the report); each answer is noted instead. Any 4xx is a
// refusal, as everywhere in the suite (a 403 from Envoy ext_authz or nginx auth_request too; RFC
// 6750 §3.1's 401 and RFC 9110 §15.5.14 / RFC 6585 §5's 413 and 431 are noted as the preferred
// codes, rs-errors judges statuses), except 429: rate limiting says nothing about the token.

import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { readCapped } from '../../harness/runner/http.ts';

const quickMs = 3000;
/** The codes RFC 6750 §3.1, RFC 9110 §15.5.14 and RFC 6585 §5 name for a bad or too-large credential. */
const preferred = new Set([400, 401, 413, 431]);
const isRefusal = (status: number) => status >= 400 && status < 500 && status !== 429;

interface Answer {
  status: number;
  text: string;
  ms: number;
  error?: string;
}

async function send(t: CheckContext, url: string, token: string): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.any([t.signal, AbortSignal.timeout(t.profile.timeouts.request)]),
    });
    const text = await readCapped(response, 64 * 1024).catch(() => '');
    return { status: response.status, text, ms: performance.now() - started };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return { status: 0, text: '', ms: performance.now() - started, error: cause };
  }
}

export default check({
  id: 'rs-claims.token-size',
  catalog: 'S27',
  title: 'Huge tokens (8 KiB to 1 MiB, 100 000 dots) are refused quickly and the RS keeps serving',
  spec: ['RFC6750-3.1', 'RFC9110-15.5.14', 'RFC6585-5', 'RFC8725-3.4'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const control = await t.steps.resourceServer.control();
    const url = t.steps.resourceServer.resourceUrl();
    const cases = (await t.steps.resourceServer.forgeries()).filter((forged) => forged.check === 'S27');
    if (!cases.length) t.error('the test issuer produced no large tokens');
    const problems: string[] = [];
    const seen: string[] = [];
    const others: string[] = [];
    for (const forged of cases) {
      const answer = await send(t, url, forged.token);
      const ms = Math.round(answer.ms);
      const shown = answer.status ? `HTTP ${answer.status}` : `connection closed (${answer.error})`;
      t.note(`${forged.name} (${forged.token.length} bytes): ${shown} in ${ms} ms`);
      // A reset of the connection before an answer is a refusal too: the RS protected its parser.
      const refused = isRefusal(answer.status) || (answer.status === 0 && answer.error !== 'TimeoutError');
      const why =
        answer.status >= 200 && answer.status < 300
          ? ' (accepted)'
          : answer.status === 429
            ? ' (rate limiting, not a refusal of the token)'
            : '';
      if (!refused) problems.push(`${forged.name}: ${shown}${why}`);
      else if (answer.ms > quickMs) problems.push(`${forged.name}: refused only after ${ms} ms`);
      else if (answer.text.includes(forged.token.slice(0, 256))) problems.push(`${forged.name}: the answer echoes the token`);
      seen.push(`${forged.name} ${shown}`);
      if (refused && answer.status && !preferred.has(answer.status)) others.push(`${forged.name} ${shown}`);
      const after = await t.steps.resourceServer.withBearer(await control.token());
      if (after.status < 200 || after.status >= 300)
        problems.push(
          `after ${forged.name} a valid token got ${after.status ? `HTTP ${after.status}` : `no answer (${after.text})`}: the RS stopped serving`,
        );
    }
    if (problems.length) t.fail(problems.join('; '));
    if (others.length)
      t.note(`refused with another 4xx than 400, 401, 413 or 431 (a refusal all the same): ${others.join(', ')}`);
    t.passReason(
      `refused every large token within ${quickMs} ms (${seen.join(', ')}) and kept accepting a valid token after each${others.length ? ` (${others.join(', ')}: another 4xx than 400/401/413/431, noted)` : ''}`,
    );
  },
});
