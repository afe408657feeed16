import { randomBytes } from 'node:crypto';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import type { IntrospectionAnswer } from '../../harness/steps/index.ts';

export default check({
  id: 'introspection.caller-auth',
  catalog: 'I04',
  title: 'Introspection refuses a caller that is not authenticated',
  spec: ['RFC7662-2.1', 'RFC7662-4', 'RFC6749-5.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  dependsOn: ['introspection.active-token'],
  async run(t: CheckContext) {
    await t.steps.introspectionEndpoint();
    if (t.steps.networkProtected())
      t.skip('the profile declares the introspection endpoint network-protected (issuer.introspection.networkProtected)');
    const issued = await t.steps.audienceToken();
    const introspector = t.steps.introspectionClientId();
    const probes: { label: string; answer: IntrospectionAnswer }[] = [
      { label: 'no client authentication', answer: await t.steps.introspect(issued.accessToken, { client: null }) },
      {
        label: 'a wrong client secret',
        answer: await t.steps.introspect(issued.accessToken, {
          client: { method: 'client_secret_basic', clientId: introspector, secret: randomBytes(24).toString('base64url') },
        }),
      },
    ];
    const outcomes: string[] = [];
    for (const { label, answer } of probes) {
      // §2.1: "the endpoint MUST also require some form of authorization"; a token's state must
      // not reach a caller without it.
      t.assert(
        answer.status < 500,
        `${label}: introspection answered HTTP ${answer.status}, a server error instead of a refusal`,
      );
      t.assert(
        !(answer.status === 200 && answer.body.active === true),
        `${label}: introspection answered active:true to an unauthenticated caller (token scanning, RFC 7662 §4)`,
      );
      if (answer.status === 200) {
        t.warn(`${label}: introspection answered 200 active:false instead of refusing the caller (RFC 7662 §2.1, RFC 6749 §5.2)`);
        outcomes.push(`${label} → 200 active:false`);
        continue;
      }
      t.assert(
        answer.status === 400 || answer.status === 401,
        `${label}: introspection answered HTTP ${answer.status}, not a 400/401 refusal`,
      );
      t.should(
        answer.body.error === 'invalid_client' || (label.startsWith('no') && answer.body.error === 'invalid_request'),
        `${label}: refused with error ${JSON.stringify(answer.body.error)}, not invalid_client (RFC 6749 §5.2)`,
      );
      outcomes.push(`${label} → HTTP ${answer.status} ${String(answer.body.error ?? '')}`.trim());
    }
    t.passReason(outcomes.join('; '));
  },
});
