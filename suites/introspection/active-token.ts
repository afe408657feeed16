import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { jwsHeader } from '../../harness/steps/index.ts';

export default check({
  id: 'introspection.active-token',
  catalog: 'I01',
  title: 'A valid token introspected by a caller allowed to see it is active:true',
  spec: ['RFC7662-2.2', 'RFC7662-4'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    await t.steps.introspectionEndpoint();
    const issued = await t.steps.audienceToken();
    const answer = await t.steps.introspect(issued.accessToken);
    if (answer.status === 401 || answer.body.error === 'invalid_client')
      t.error(
        `the introspecting client was refused (HTTP ${answer.status} ${String(answer.body.error ?? '')}): check issuer.introspection.client or clients.resourceServer in the profile`,
      );
    if (answer.status === 400 && answer.body.error === 'unsupported_token_type')
      t.fail(
        `the issuer refuses to introspect this token (400 unsupported_token_type${jwsHeader(issued.accessToken) ? ', a JWT access token' : ''}): RFC 7662 §2.3 has an authorized query answered with an introspection response (active:false at least), not an error; if only some resources' tokens are introspectable, name one in issuer.introspection.audience`,
      );
    t.assert(answer.status === 200, `introspecting a valid token answered HTTP ${answer.status}, not 200 (RFC 7662 §2.2)`);
    t.assert(!answer.jsonError, `the introspection answer is not JSON: ${answer.jsonError}`);
    t.assert(
      typeof answer.body.active === 'boolean',
      `"active" is ${JSON.stringify(answer.body.active)}, not a boolean (RFC 7662 §2.2: REQUIRED, boolean)`,
    );
    if (issued.requestedWith === 'tokenParams')
      t.warn('the token was requested with vendor token parameters (tokenParams) instead of RFC 8707 resource');
    if (answer.body.active === false) {
      // RFC 7662 §2.2/§4: a server may answer active:false to a caller not allowed to introspect
      // this token; that is a finding for the profile, not a failure of the server.
      t.warn(
        `a fresh token was introspected active:false; RFC 7662 §2.2 and §4 allow that when this caller may not introspect it (${issued.audience ? `token requested for ${issued.audience}` : 'the profile names no audience for the introspecting client'})`,
      );
      t.passReason('introspection answered with a boolean active:false');
      return;
    }
    t.passReason('a fresh access token is active:true at introspection');
  },
});
