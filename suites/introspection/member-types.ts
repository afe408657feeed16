import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { scopesIn } from '../../harness/steps/introspection.ts';

const numericDates = ['exp', 'iat', 'nbf'] as const;
const strings = ['client_id', 'username', 'token_type', 'sub', 'jti'] as const;

export default check({
  id: 'introspection.member-types',
  catalog: 'I02',
  title: 'Active introspection members have their RFC 7662 types; iss is the issuer',
  spec: ['RFC7662-2.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  dependsOn: ['introspection.active-token'],
  async run(t: CheckContext) {
    const issued = await t.steps.audienceToken();
    const { body } = await t.steps.requireIntrospection(issued.accessToken);
    if (body.active !== true) t.skip('the token was not introspected active (see I01): no members to judge');
    const wrong: string[] = [];
    const form = scopesIn(body).form;
    if (body.scope !== undefined && typeof body.scope !== 'string')
      wrong.push(`scope is ${JSON.stringify(body.scope)}, not a space-delimited string`);
    for (const member of numericDates) {
      const value = body[member];
      if (value !== undefined && !Number.isInteger(value))
        wrong.push(`${member} is ${JSON.stringify(value)}, not an integer NumericDate`);
    }
    for (const member of strings) {
      const value = body[member];
      if (value !== undefined && typeof value !== 'string') wrong.push(`${member} is ${JSON.stringify(value)}, not a string`);
    }
    if (body.aud !== undefined) {
      const ok = typeof body.aud === 'string' || (Array.isArray(body.aud) && body.aud.every((item) => typeof item === 'string'));
      if (!ok) wrong.push(`aud is ${JSON.stringify(body.aud)}, neither a string nor an array of strings`);
    }
    const issuer = t.steps.issuerUrl();
    if (body.iss !== undefined && body.iss !== issuer) wrong.push(`iss is ${JSON.stringify(body.iss)}, not the issuer ${issuer}`);
    t.assert(wrong.length === 0, wrong.join('; '));
    if (form === 'scp')
      t.warn('scopes come in a non-standard scp array; RFC 7662 §2.2 defines scope as a space-delimited string');
    if (typeof body.exp === 'number' && typeof body.iat === 'number')
      t.should(body.exp > body.iat, `exp (${body.exp}) is not after iat (${body.iat})`);
    const present = Object.keys(body).filter((member) => member !== 'active');
    t.passReason(`active answer members are well-typed: ${present.join(', ') || '(only active)'}`);
  },
});
