import type { FormParams } from '../../harness/oauth/client.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { said } from './answers.ts';

/**
 * `acceptable`: a 200 is a warning, not a failure. RFC 6749 §3.2 "Request and response parameters
 * MUST NOT be included more than once" binds the client; §5.2 only names invalid_request as the
 * answer, so a server whose form parser keeps the first of two identical values is not in breach.
 */
const probes: { name: string; params: FormParams; expect: string; acceptable?: true }[] = [
  { name: 'an unknown grant_type', params: { grant_type: 'urn:tokenproof:unknown-grant' }, expect: 'unsupported_grant_type' },
  { name: 'no grant_type', params: { scope: 'openid' }, expect: 'invalid_request' },
  {
    name: 'grant_type repeated',
    params: { grant_type: ['client_credentials', 'client_credentials'] },
    expect: 'invalid_request',
    acceptable: true,
  },
  {
    name: 'authorization_code without code',
    params: { grant_type: 'authorization_code', redirect_uri: 'http://127.0.0.1/callback' },
    expect: 'invalid_request',
  },
];

export default check({
  id: 'token-endpoint.bad-requests',
  catalog: 'T04',
  title: 'Unknown grant_type → unsupported_grant_type; a missing or repeated parameter → invalid_request (400, never 5xx)',
  spec: ['RFC6749-5.2', 'RFC6749-3.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    const seen: string[] = [];
    for (const probe of probes) {
      const answer = await t.steps.token(probe.params);
      seen.push(`${probe.name}: ${said(answer)}`);
      if (probe.acceptable && answer.status === 200) {
        t.warn(
          `${probe.name} (the same value twice) was accepted (HTTP 200): RFC 6749 §3.2's "MUST NOT be included more than once" binds the client, and §5.2 names invalid_request for it, so refusing is expected but not required`,
        );
        continue;
      }
      t.assert(answer.status !== 200, `${probe.name} was accepted (HTTP 200)`);
      t.assert(answer.status < 500, `${probe.name} made the token endpoint fail with ${said(answer)} instead of refusing it`);
      t.assert(
        answer.status === 400,
        `${probe.name} answered ${said(answer)}; RFC 6749 §5.2 answers 400 (401 only for client authentication)`,
      );
      t.assert(typeof answer.body.error === 'string', `${probe.name} answered 400 without an error member (RFC 6749 §5.2)`);
      t.should(answer.body.error === probe.expect, `${probe.name} answered error ${answer.body.error}, not ${probe.expect}`);
    }
    t.passReason(seen.join('; '));
  },
});
