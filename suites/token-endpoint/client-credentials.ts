import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { said } from './answers.ts';

export default check({
  id: 'token-endpoint.client-credentials',
  catalog: 'T01',
  title: 'client_credentials answers 200 with access_token and token_type (expires_in recommended)',
  spec: ['RFC6749-4.4.3', 'RFC6749-5.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    const answer = await t.steps.token({ grant_type: 'client_credentials' });
    if (answer.body.error === 'unauthorized_client' || answer.body.error === 'unsupported_grant_type')
      t.skip(`the primary client may not use client_credentials (${said(answer)})`);
    t.assert(answer.status === 200, `client_credentials answered ${said(answer)}`);
    t.assert(
      /^application\/json\b/i.test(answer.headers.get('content-type') ?? '') && !answer.jsonError,
      `the token response is not application/json (${answer.headers.get('content-type') ?? 'no content-type'}): RFC 6749 §5.1`,
    );
    const { access_token: accessToken, token_type: tokenType, expires_in: expiresIn } = answer.body;
    t.assert(
      typeof accessToken === 'string' && accessToken.length > 0,
      'the answer has no access_token (RFC 6749 §5.1: REQUIRED)',
    );
    t.assert(typeof tokenType === 'string' && tokenType.length > 0, 'the answer has no token_type (RFC 6749 §5.1: REQUIRED)');
    t.note(`token_type ${tokenType}, expires_in ${JSON.stringify(expiresIn)}`);
    t.should(expiresIn !== undefined, 'the answer has no expires_in (RFC 6749 §5.1: RECOMMENDED)');
    if (expiresIn !== undefined)
      t.should(
        typeof expiresIn === 'number' && Number.isInteger(expiresIn) && expiresIn > 0,
        `expires_in is ${JSON.stringify(expiresIn)}, not a positive number of seconds (RFC 6749 §5.1, §A.14)`,
      );
    t.passReason(
      `HTTP 200 with an access token, token_type ${tokenType}${typeof expiresIn === 'number' ? ` and expires_in ${expiresIn} s` : ''}`,
    );
  },
});
