import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import type { ResourceAnswer } from '../../harness/steps/resource-server.ts';
import { describeAnswer, signatureOf } from './answers.ts';
import { tokenWithoutScope } from './insufficient-scope.ts';
import { invalidTokens } from './invalid-token.ts';
import { withQueryToken } from './malformed-request.ts';

/** Where an answer repeats the token (or its signature), without showing either. */
function echoes(answer: ResourceAnswer, token: string): string[] {
  const pieces = [token, encodeURIComponent(token), signatureOf(token)].filter((piece): piece is string => !!piece);
  const found: string[] = [];
  for (const [name, value] of answer.headers) if (pieces.some((piece) => value.includes(piece))) found.push(`header ${name}`);
  if (pieces.some((piece) => answer.text.includes(piece))) found.push('body');
  return found;
}

export default check({
  id: 'rs-errors.no-token-echo',
  catalog: 'E07',
  title: 'Error answers never echo the token',
  spec: ['RFC6750-5.3', 'RFC6750-3'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const rs = t.steps.resourceServer;
    const control = await rs.control();
    const probes: { name: string; token: string; send: (token: string) => Promise<ResourceAnswer> }[] = invalidTokens(t).map(
      ({ name, token }) => ({ name, token, send: (value: string) => rs.withBearer(value) }),
    );
    probes.push({
      name: 'a valid token in the query string',
      token: await control.token(),
      send: (value) => rs.call({ url: withQueryToken(rs.resourceUrl(), value) }),
    });
    if (t.target.profile.resourceServer?.scope) {
      const { token } = await tokenWithoutScope(t).catch(() => ({ token: undefined }));
      if (token) probes.push({ name: 'a valid token without the required scope', token, send: (value) => rs.withBearer(value) });
    }
    const found: string[] = [];
    let errors = 0;
    for (const probe of probes) {
      const answer = await probe.send(probe.token);
      if (answer.status < 400) continue;
      errors++;
      const where = echoes(answer, probe.token);
      t.note(
        `${probe.name}: ${describeAnswer(answer)}${where.length ? `; the token appears in the ${where.join(' and ')}` : ''}`,
      );
      if (where.length) found.push(`${probe.name}: in the ${where.join(' and ')}`);
    }
    t.assert(found.length === 0, `error answers echo the token (${found.join('; ')}): it lands in logs and caches`);
    if (errors === 0) t.error('none of the probes was refused, so no error answer could be examined');
    t.passReason(`${errors} error answers examined; none repeats the token or its signature`);
  },
});
