/**
 * RFC 9728 Protected Resource Metadata steps: where the RS publishes its metadata and what the
 * document says, found once per run. The well-known suffix is inserted before the path of a
 * resource identifier (§3.1); which identifier the document was found under decides what its
 * `resource` must be identical to (§3.3): the identifier itself, or, for a URL taken from the
 * `resource_metadata` challenge parameter (§5.1), the URL the request went to.
 */
import { readAnswer } from '../oauth/client.ts';
import { wellKnown, wellKnownUrl } from '../oauth/well-known.ts';
import { challengeFor, parseWwwAuthenticate } from '../oauth/www-authenticate.ts';
import { CheckSkipped, StepError } from '../runner/verdict.ts';
import type { StepIO } from './io.ts';

export type MetadataSource = 'profile' | 'protected-url' | 'origin' | 'challenge';

export interface FoundMetadata {
  url: string;
  source: MetadataSource;
  /** The values `resource` may have: identical to the identifier (origin: with or without the slash). */
  identifiers: string[];
  document: Record<string, unknown>;
}

export interface MetadataLookup {
  found: FoundMetadata | undefined;
  /** `resource_metadata` of the challenge to a request without credentials. */
  challengeUrl: string | undefined;
  /** What that request was answered with. */
  challengeStatus: number;
  /** The request that challenge answered: the URL a client used (§3.3). */
  requestUrl: string;
  /** Every URL tried, with what it answered. */
  tried: string[];
}

/** A URL without its fragment: identifiers have none (RFC 9728 §1.2). */
function withoutQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

export function resourceMetadataSteps(io: StepIO) {
  async function fetchDocument(url: string, tried: string[]): Promise<Record<string, unknown> | undefined> {
    try {
      const response = await io.fetch(url, { headers: { accept: 'application/json' }, redirect: 'manual' });
      const { status, body, jsonError } = await readAnswer<unknown>(response);
      const object = body !== null && typeof body === 'object' && !Array.isArray(body);
      tried.push(`${url}: HTTP ${status}${status === 200 && !object ? (jsonError ? ', not JSON' : ', not a JSON object') : ''}`);
      return status === 200 && object ? (body as Record<string, unknown>) : undefined;
    } catch (error) {
      tried.push(`${url}: no answer (${(error as Error).message})`);
      return undefined;
    }
  }

  async function lookup(): Promise<MetadataLookup> {
    const resourceServer = io.target.profile.resourceServer;
    if (!resourceServer) throw new StepError('the profile has no resourceServer');
    const requestUrl = resourceServer.url;
    const unauthenticated = await io.fetch(requestUrl, { redirect: 'manual' }).catch(() => undefined);
    await unauthenticated?.text().catch(() => '');
    const challenges = parseWwwAuthenticate(unauthenticated?.headers.get('www-authenticate'));
    const challengeUrl = (challengeFor(challenges, 'Bearer') ?? challengeFor(challenges, 'DPoP'))?.params.resource_metadata;

    const origin = new URL(requestUrl).origin;
    const candidates: { url: string; source: MetadataSource; identifiers: string[] }[] = [];
    if (resourceServer.resource) {
      candidates.push({
        url: wellKnownUrl(resourceServer.resource, wellKnown.protectedResource),
        source: 'profile',
        identifiers: [resourceServer.resource],
      });
    }
    candidates.push({
      url: wellKnownUrl(requestUrl, wellKnown.protectedResource),
      source: 'protected-url',
      identifiers: [withoutQuery(requestUrl)],
    });
    candidates.push({
      url: wellKnownUrl(origin, wellKnown.protectedResource),
      source: 'origin',
      identifiers: [origin, `${origin}/`],
    });
    if (challengeUrl) candidates.push({ url: challengeUrl, source: 'challenge', identifiers: [requestUrl] });

    const tried: string[] = [];
    const seen = new Set<string>();
    let found: FoundMetadata | undefined;
    for (const candidate of candidates) {
      if (seen.has(candidate.url)) continue;
      seen.add(candidate.url);
      let valid: URL | undefined;
      try {
        valid = new URL(candidate.url);
      } catch {
        tried.push(`${candidate.url}: not a URL`);
        continue;
      }
      const document = await fetchDocument(valid.href, tried);
      if (document) {
        found = { ...candidate, document };
        break;
      }
    }
    return { found, challengeUrl, challengeStatus: unauthenticated?.status ?? 0, requestUrl, tried };
  }

  /** The RS's metadata, looked up once per run. */
  async function metadata(): Promise<MetadataLookup> {
    const { value, firstUse } = await io.cache.get('resource-metadata', io.checkId, lookup);
    if (!firstUse) {
      io.note(
        value.found
          ? `protected resource metadata from ${value.found.url} (looked up once per run)`
          : `no protected resource metadata (looked up once per run: ${value.tried.join('; ')})`,
      );
    }
    return value;
  }

  /**
   * The document, or the skip every rs-metadata check gives when there is none: the suite does
   * not apply to an RS that publishes nothing. A challenge naming a document that does not
   * answer is M01's finding; the other checks skip pointing there.
   */
  async function requireMetadata(): Promise<FoundMetadata & { lookup: MetadataLookup }> {
    const found = await metadata();
    if (found.found) return { ...found.found, lookup: found };
    if (found.challengeUrl) {
      throw new CheckSkipped(
        `no metadata document to judge: the 401 challenge names ${found.challengeUrl}, which serves none (see M01)`,
      );
    }
    throw new CheckSkipped(
      `the RS publishes no protected resource metadata (RFC 9728) and its 401 challenge carries no resource_metadata (${found.tried.join('; ')})`,
    );
  }

  return { metadata, requireMetadata, fetchDocument };
}
