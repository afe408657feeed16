import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

/**
 * An endpoint "answers" when it gives an OAuth-shaped refusal to an empty request, not a 404 or a
 * crash: the token, revocation and introspection endpoints refuse a request without client
 * authentication with 400 invalid_request or 401 invalid_client (RFC 6749 §5.2, RFC 7009 §2.2.1,
 * RFC 7662 §2.1), the UserInfo endpoint without a token with 400/401 (RFC 6750 §3.1), and the JWKS
 * is served (RFC 7517 §5).
 */
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
  spec: ['RFC8414-2', 'RFC6749-5.2', 'RFC7662-2.1', 'RFC7009-2.2.1', 'RFC6750-3.1'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const { metadata } = await t.steps.discovery();
    const advertised = probes.filter((probe) => metadata[probe.member] !== undefined);
    if (advertised.length === 0)
      t.skip(`none of ${probes.map((probe) => probe.member).join(', ')} is advertised: no endpoint to probe`);
    const broken: string[] = [];
    const answered: string[] = [];
    for (const probe of advertised) {
      const url = metadata[probe.member];
      if (typeof url !== 'string' || !URL.canParse(url)) {
        broken.push(`${probe.member} is ${JSON.stringify(url)}, not a URL`);
        continue;
      }
      const init: RequestInit =
        probe.method === 'POST'
          ? { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' }
          : { method: 'GET' };
      const response = await t.fetch(url, init).catch((error: Error) => {
        if (t.signal.aborted) throw error;
        return error;
      });
      if (response instanceof Error) broken.push(`${probe.member} (${url}) gave no usable answer: ${response.message}`);
      else if (!(probe.expect as readonly number[]).includes(response.status))
        broken.push(`${probe.member} answered HTTP ${response.status}, expected ${probe.expect.join(' or ')}`);
      else answered.push(`${probe.member} ${response.status}`);
    }
    t.assert(broken.length === 0, broken.join('; '));
    t.passReason(`${answered.length} advertised endpoint(s) answer: ${answered.join(', ')}`);
  },
});
