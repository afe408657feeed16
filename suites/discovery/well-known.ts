import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

/**
 * OIDC Discovery §4.2 and RFC 8414 §3.2 say the same: a successful answer is 200 with a JSON
 * object in the application/json content type. Either well-known URL may be the one served.
 */
export default check({
  id: 'discovery.well-known',
  catalog: 'D01',
  title: 'A discovery document is served at a well-known URL',
  spec: ['OIDC-Discovery-4.2', 'RFC8414-3.2'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const served: string[] = [];
    const problems: string[] = [];
    for (const answer of await t.steps.metadataAnswers()) {
      const contentType = answer.contentType ?? '(none)';
      if (answer.status !== undefined) t.note(`${answer.url}: HTTP ${answer.status}, content-type ${contentType}`);
      if (!answer.document) problems.push(`${answer.url}: ${answer.problem}`);
      else if (!/^application\/json\b/i.test(contentType))
        problems.push(`${answer.url}: a JSON object served as content-type ${contentType}, not application/json`);
      else served.push(answer.url);
    }
    t.assert(served.length > 0, `neither well-known URL serves a JSON object as application/json (${problems.join('; ')})`);
    if (problems.length) t.note(`also asked: ${problems.join('; ')}`);
    t.passReason(`served at ${served.join(' and ')}`);
  },
});
