import type { ClientAuth } from '../../harness/oauth/client.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { said } from './answers.ts';

export default check({
  id: 'token-endpoint.wrong-secret',
  catalog: 'T03',
  title: 'A wrong client secret is refused with invalid_client (401 and WWW-Authenticate when Basic was used)',
  spec: ['RFC6749-5.2', 'RFC6749-2.3.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    const candidates: ClientAuth[] = [t.steps.client('primary')];
    if (t.profile.issuer?.clients?.secondary) candidates.push(t.steps.client('secondary'));
    const client = candidates.find((auth) => auth.method === 'client_secret_basic' || auth.method === 'client_secret_post');
    if (!client || (client.method !== 'client_secret_basic' && client.method !== 'client_secret_post'))
      t.skip('no profile client authenticates with a client secret');
    const wrong = { ...client, secret: `${client.secret.slice(0, -1)}${client.secret.endsWith('x') ? 'y' : 'x'}` };
    const answer = await t.steps.token({ grant_type: 'client_credentials' }, wrong);
    t.assert(answer.status !== 200, `the token endpoint accepted a wrong secret for client ${client.clientId} (HTTP 200)`);
    t.assert(answer.status < 500, `a wrong secret made the token endpoint fail with ${said(answer)} instead of refusing it`);
    if (client.method === 'client_secret_basic') {
      // §5.2: "If the client attempted to authenticate via the Authorization request header field, the
      // authorization server MUST respond with an HTTP 401 ... and include the WWW-Authenticate response header".
      t.assert(answer.status === 401, `a wrong Basic secret answered ${said(answer)}; RFC 6749 §5.2 requires 401`);
      const challenge = answer.headers.get('www-authenticate');
      t.assert(
        challenge !== null && /^\s*basic\b/i.test(challenge),
        `the 401 has ${challenge ? `WWW-Authenticate: ${challenge}` : 'no WWW-Authenticate header'}; RFC 6749 §5.2 requires one matching the Basic scheme used`,
      );
    } else {
      // Without an Authorization header, §5.2 lets invalid_client be 400 or 401.
      t.assert(answer.status === 400 || answer.status === 401, `a wrong posted secret answered ${said(answer)}, not 400/401`);
    }
    t.should(
      answer.body.error === 'invalid_client',
      `the refusal's error is ${JSON.stringify(answer.body.error)}, not invalid_client (RFC 6749 §5.2)`,
    );
    t.passReason(`a wrong ${client.method} secret is refused: ${said(answer)}`);
  },
});
