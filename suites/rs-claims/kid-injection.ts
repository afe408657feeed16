// S11: a kid is data, never a path, a query or a command. The command cases sleep 5 s if they
// reach a shell, so a slow refusal is a finding too.
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { judge } from './forged.ts';

const slowMs = 3000;

export default check({
  id: 'rs-claims.kid-injection',
  catalog: 'S11',
  title: 'kid path traversal, SQL and command strings are refused at once and without a server error',
  spec: ['RFC8725-3.10', 'RFC7515-4.1.4'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    await t.steps.resourceServer.control();
    const cases = (await t.steps.resourceServer.forgeries()).filter((forged) => forged.check === 'S11');
    if (!cases.length) t.error('the test issuer produced no kid injection tokens');
    const problems: string[] = [];
    const notes: string[] = [];
    for (const forged of cases) {
      const answer = await t.steps.resourceServer.withBearer(forged.token);
      const { problem, note } = judge(answer, forged.token, forged.expect);
      const ms = Math.round(answer.durationMs);
      t.note(`${forged.name} (${forged.description}): HTTP ${answer.status} in ${ms} ms`);
      if (problem) problems.push(`${forged.name}: ${problem}`);
      else if (answer.durationMs > slowMs)
        problems.push(`${forged.name}: refused only after ${ms} ms (the kid may have reached a shell or a query)`);
      if (note) notes.push(`${forged.name}: ${note}`);
    }
    if (problems.length) t.fail(problems.join('; '));
    t.passReason(
      `refused all ${cases.length} kid injection tokens, each within ${slowMs} ms${notes.length ? ` (${notes.join('; ')})` : ''}`,
    );
  },
});
