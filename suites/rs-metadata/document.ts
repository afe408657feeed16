import { wellKnown, wellKnownUrl } from '../../harness/oauth/well-known.ts';
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
    if (source === 'challenge' && !identifiers.includes(resource) && servesItsOwnIdentifier(url, resource, identifiers[0]!)) {
      // The document sits at the well-known URL of its own identifier (§3.1, §3.3 first rule); that
      // the challenge points a request for a sub-path at it is M03's §3.3 finding, not this one's.
      t.passReason(`${url} serves the metadata of ${resource}, a prefix of the requested ${identifiers[0]} (see M03)`);
      return;
    }
    t.assert(
      identifiers.includes(resource),
      `resource is "${resource}", not identical to ${against}: a client MUST NOT use this metadata (RFC 9728 §3.3)`,
    );
    t.passReason(`${url} serves the metadata of ${resource}`);
  },
});

/** The document's URL is the path-inserted well-known URL of `resource`, a same-origin path prefix of the requested URL. */
export function servesItsOwnIdentifier(documentUrl: string, resource: string, requested: string): boolean {
  try {
    const own = new URL(resource);
    const asked = new URL(requested);
    const prefix = own.pathname.replace(/\/$/, '');
    return (
      own.origin === asked.origin &&
      (asked.pathname === prefix || asked.pathname.startsWith(`${prefix}/`)) &&
      wellKnownUrl(resource, wellKnown.protectedResource) === documentUrl
    );
  } catch {
    return false;
  }
}
