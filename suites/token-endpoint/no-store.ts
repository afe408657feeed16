import type { HttpAnswer, TokenAnswer } from '../../harness/oauth/client.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { hasDirective, said } from './answers.ts';

export default check({
  id: 'token-endpoint.no-store',
  catalog: 'T02',
  title: 'Token responses carry Cache-Control: no-store',
  spec: ['RFC6749-5.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    const answers: [string, HttpAnswer<TokenAnswer>][] = [];
    const credentials = await t.steps.token({ grant_type: 'client_credentials' });
    if (credentials.status === 200) answers.push(['client_credentials', credentials]);
    if (t.profile.issuer?.login?.steps) {
      const login = await t.steps.userTokens();
      if (login.answer) answers.push(['authorization_code', login.answer]);
      if (login.refreshToken) {
        const refreshed = await t.steps.refresh(login.refreshToken, { auth: login.auth });
        if (refreshed.status === 200) answers.push(['refresh_token', refreshed]);
      }
    }
    if (answers.length === 0) t.error(`no token response to examine (client_credentials answered ${said(credentials)})`);
    for (const [grant, answer] of answers) {
      const cacheControl = answer.headers.get('cache-control');
      t.assert(
        hasDirective(cacheControl, 'no-store'),
        `the ${grant} token response has ${cacheControl ? `Cache-Control: ${cacheControl}` : 'no Cache-Control header'}: RFC 6749 §5.1 requires no-store on responses with tokens`,
      );
    }
    // Pragma: no-cache is also in §5.1, but RFC 9111 §5.4 deprecates Pragma: noted, not judged.
    const noPragma = answers
      .filter(([, answer]) => !/no-cache/i.test(answer.headers.get('pragma') ?? ''))
      .map(([grant]) => grant);
    if (noPragma.length) t.note(`no Pragma: no-cache on ${noPragma.join(', ')} (deprecated by RFC 9111 §5.4; not judged)`);
    t.passReason(`Cache-Control: no-store on ${answers.map(([grant]) => grant).join(', ')} token responses`);
  },
});
