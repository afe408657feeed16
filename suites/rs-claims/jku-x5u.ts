// S09: a key URL taken from the token must never be fetched; a fetch is a finding on its own
// (server-side request forgery), even when the token is then refused.
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { conclude, harnessControl, lateHits, sendForgeries } from './forged.ts';

export default check({
  id: 'rs-claims.jku-x5u',
  catalog: 'S09',
  title: 'jku and x5u URLs in the header are neither trusted nor fetched',
  spec: ['RFC7515-4.1.2', 'RFC7515-4.1.5', 'RFC8725-3.10'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    await harnessControl(t, 'the harness fetch listener and a key the RS trusts');
    const mark = t.target.testIssuer!.listener.hits().length;
    const run = await sendForgeries(t, 'S09');
    const late = await lateHits(t, mark);
    const counted = new Set(run.problems.map(({ problem }) => problem));
    const unexplained = late.filter((hit) => ![...counted].some((problem) => problem.includes(hit.path)));
    if (unexplained.length)
      t.fail(`fetched ${unexplained.map((hit) => hit.path).join(', ')} from the harness listener after answering`);
    conclude(t, run, 'tokens with a jku/x5u URL (the harness listener saw no fetch)');
  },
});
