import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeAnswer, isAccepted } from '../rs-errors/answers.ts';

export default check({
  id: 'replay.bearer-jti-replay',
  catalog: 'P09',
  title: 'High-assurance endpoints refuse a bearer token presented a second time',
  spec: ['RFC7519-4.1.7', 'RFC6750-5.2'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const endpoints = t.target.profile.resourceServer?.highAssurance ?? [];
    if (endpoints.length === 0) t.skip('the profile declares no high-assurance endpoints (resourceServer.highAssurance)');
    const rs = t.steps.resourceServer;
    const control = await rs.control();
    const replayed: string[] = [];
    for (const url of endpoints) {
      const token = await control.token();
      const first = await rs.withBearer(token, { url });
      if (!isAccepted(first)) t.error(`${url} refused the first use of a valid token: ${describeAnswer(first)}`);
      const second = await rs.withBearer(token, { url });
      t.note(`${url}: first use HTTP ${first.status}, second use ${describeAnswer(second)}`);
      if (isAccepted(second)) replayed.push(url);
    }
    t.assert(
      replayed.length === 0,
      `a token (same jti) was accepted twice at the high-assurance endpoint${replayed.length > 1 ? 's' : ''} ${replayed.join(', ')}`,
    );
    t.passReason(
      `${endpoints.length} high-assurance endpoint${endpoints.length > 1 ? 's' : ''} refused the second use of a token`,
    );
  },
});
