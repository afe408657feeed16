// suites/discovery/endpoints-answer.ts
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

/** An endpoint "answers" when it gives an OAuth-shaped refusal to an empty request, not a 404 or a crash. */
const probes = [
  { member: 'token_endpoint', method: 'POST', expect: [400, 401] },
  { member: 'introspection_endpoint', method: 'POST', expect: [400, 401] },
  { member: 'revocation_endpoint', method: 'POST', expect: [400, 401] },
  { member: 'userinfo_endpoint', method: 'GET', expect: [400, 401] },
  { member: 'jwks_uri', method: 'GET', expect: [200] },
] as const;

export default check({
  id: 'discovery.endpoints-answer',
  catalog: 'D08',
  title: 'Advertised endpoints actually answer',
  spec: ['RFC8414-2', 'RFC6749-3.2', 'RFC7662-2', 'RFC7009-2'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const { metadata } = await t.steps.discovery();
    const broken: string[] = [];
    let probed = 0;
    for (const probe of probes) {
      const url = metadata[probe.member];
      if (typeof url !== 'string') continue;
      probed++;
      const init: RequestInit =
        probe.method === 'POST'
          ? { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' }
          : { method: 'GET' };
      const response = await t.fetch(url, init).catch((error: Error) => error);
      if (response instanceof Error) broken.push(`${probe.member} (${url}) gave no answer: ${response.message}`);
      else if (!(probe.expect as readonly number[]).includes(response.status)) {
        broken.push(`${probe.member} answered HTTP ${response.status}, expected ${probe.expect.join(' or ')}`);
      }
    }
    t.assert(broken.length === 0, broken.join('; '));
    t.passReason(`${probed} advertised endpoints answer`);
  },
});
