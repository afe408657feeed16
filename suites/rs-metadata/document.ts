import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

export default check({
  id: 'rs-metadata.document',
  catalog: 'M01',
  title: 'The metadata document is served at the well-known URL and names the resource identically',
  spec: ['RFC9728-3', 'RFC9728-3.3', 'RFC9728-2'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const lookup = await t.steps.resourceMetadata.metadata();
    if (!lookup.found) {
      t.assert(
        !lookup.challengeUrl,
        `the 401 challenge names ${lookup.challengeUrl} as the metadata, but no metadata document answers (${lookup.tried.join('; ')})`,
      );
      await t.steps.resourceMetadata.requireMetadata(); // skips with the reason
      return;
    }
    const { url, source, identifiers, document } = lookup.found;
    t.note(
      `metadata found at ${url} (${source === 'challenge' ? 'named by the 401 challenge' : `path-inserted for ${identifiers[0]}`})`,
    );
    const resource = document.resource;
    t.assert(typeof resource === 'string', `the metadata at ${url} has no resource member (RFC 9728 §2: REQUIRED)`);
    const against =
      source === 'challenge'
        ? `the URL the request went to, ${identifiers[0]} (the document came from the challenge, RFC 9728 §3.3)`
        : identifiers.join(' or ');
    t.assert(
      identifiers.includes(resource),
      `resource is "${resource}", not identical to ${against}: a client MUST NOT use this metadata (RFC 9728 §3.3)`,
    );
    t.passReason(`${url} serves the metadata of ${resource}`);
  },
});
