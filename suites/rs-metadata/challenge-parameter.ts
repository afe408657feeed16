import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { servesItsOwnIdentifier } from './document.ts';

export default check({
  id: 'rs-metadata.challenge-parameter',
  catalog: 'M03',
  title: 'The 401 challenge names the metadata document (resource_metadata)',
  spec: ['RFC9728-5.1', 'RFC9728-3.3'],
  level: 'SHOULD',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const steps = t.steps.resourceMetadata;
    const found = await steps.requireMetadata();
    const { challengeUrl, requestUrl, challengeStatus } = found.lookup;
    t.assert(
      challengeUrl,
      `the challenge to a request without credentials (HTTP ${challengeStatus}) carries no resource_metadata parameter (RFC 9728 §5.1), although ${found.url} serves the metadata`,
    );
    const tried: string[] = [];
    const document = challengeUrl === found.url ? found.document : await steps.fetchDocument(challengeUrl, tried);
    // §3.3 (MUST): metadata reached through the challenge names the URL the request went to.
    if (!document) t.fail(`the challenge names ${challengeUrl}, which serves no metadata (${tried.join('; ')})`, 'MUST');
    if (
      document.resource !== requestUrl &&
      typeof document.resource === 'string' &&
      servesItsOwnIdentifier(challengeUrl, document.resource, requestUrl)
    ) {
      // A same-origin path prefix: what MCP servers publish, and what draft-mcguinness-oauth-rfc9728bis
      // would allow; RFC 9728 §3.3 as published still asks for the identical URL.
      t.warn(
        `the challenge names ${challengeUrl}, the metadata of ${document.resource}, a prefix of ${requestUrl}; RFC 9728 §3.3 asks for the URL the request went to, identically`,
      );
    } else if (document.resource !== requestUrl) {
      t.fail(
        `the challenge names ${challengeUrl}, whose resource is ${JSON.stringify(document.resource)}, not ${requestUrl}, the URL the request went to (RFC 9728 §3.3: MUST be identical)`,
        'MUST',
      );
    }
    t.passReason(`the 401 challenge names ${challengeUrl}, the metadata of ${requestUrl}`);
  },
});
