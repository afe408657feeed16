import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeAnswer, isAccepted } from '../rs-errors/answers.ts';
import { withQueryToken } from '../rs-errors/malformed-request.ts';

export default check({
  id: 'rs-metadata.bearer-methods',
  catalog: 'M04',
  title: 'bearer_methods_supported matches how the RS takes tokens',
  spec: ['RFC9728-2', 'RFC6750-2.1', 'RFC6750-2.3'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const { document, url } = await t.steps.resourceMetadata.requireMetadata();
    const methods = document.bearer_methods_supported;
    if (methods === undefined) t.skip(`the metadata at ${url} has no bearer_methods_supported (OPTIONAL, RFC 9728 §2)`);
    t.assert(
      Array.isArray(methods) && methods.every((method) => typeof method === 'string'),
      'bearer_methods_supported is not an array of strings (RFC 9728 §2)',
    );
    const rs = t.steps.resourceServer;
    const control = await rs.control();
    const header = await rs.withBearer(await control.token());
    const query = await rs.call({ url: withQueryToken(rs.resourceUrl(), await control.token()) });
    t.note(`header: ${describeAnswer(header)}; query: ${describeAnswer(query)}`);
    const wrong: string[] = [];
    if (methods.includes('header') && !isAccepted(header))
      wrong.push(`"header" is listed but a valid token in the header was refused (${describeAnswer(header)})`);
    if (methods.includes('query') && !isAccepted(query))
      wrong.push(`"query" is listed but a valid token in the query was refused (${describeAnswer(query)})`);
    if (!methods.includes('query') && isAccepted(query))
      wrong.push('"query" is not listed, yet a valid token in the access_token query parameter was accepted');
    t.assert(wrong.length === 0, `bearer_methods_supported ${JSON.stringify(methods)} misdescribes the RS: ${wrong.join('; ')}`);
    t.should(
      methods.includes('header') || !isAccepted(header),
      `"header" is not listed in ${JSON.stringify(methods)}, yet the RS takes tokens in the Authorization header`,
    );
    if (methods.includes('body')) t.note('"body" is listed; not probed (a POST to the protected URL could change state)');
    t.passReason(
      `bearer_methods_supported ${JSON.stringify(methods)} matches: header ${isAccepted(header) ? 'accepted' : 'refused'}, query ${isAccepted(query) ? 'accepted' : 'refused'}`,
    );
  },
});
