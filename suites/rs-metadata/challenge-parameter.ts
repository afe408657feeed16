import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { servesItsOwnIdentifier } from './document.ts';

export default check({
  id: 'rs-metadata.challenge-parameter',
  catalog: 'M03',
  title: 'A resource_metadata parameter in the 401 challenge names the metadata of the URL requested',
  spec: ['RFC9728-5', 'RFC9728-5.1', 'RFC9728-3.3'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const steps = t.steps.resourceMetadata;
    const found = await steps.requireMetadata();
    const { challengeUrl, requestUrl, challengeStatus } = found.lookup;
    if (!challengeUrl) {
      // RFC 9728 §5: a protected resource "MAY use the WWW-Authenticate HTTP response header field
      // ... to return a URL to its protected resource metadata"; §5.1 only defines the parameter.
      // An optional feature left out is no finding (CHECKS.md grades it SHOULD; the RFC does not).
      t.note(
        `the challenge to a request without credentials (HTTP ${challengeStatus}) carries no resource_metadata parameter; RFC 9728 §5 makes it optional (MAY), and clients find ${found.url} at the well-known URL (§3)`,
      );
      t.passReason(
        `the 401 challenge names no resource_metadata, which RFC 9728 §5 leaves to the resource (MAY); the metadata is served at ${found.url}, and §3.3 has nothing to compare`,
      );
      return;
    }
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
