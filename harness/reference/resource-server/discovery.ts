/**
 * The issuer's metadata (RFC 8414 §3, then OIDC Discovery §4): where its JWKS, introspection
 * endpoint and revocation events are. Fetched once on demand; a failure is retried on the next
 * demand after a short pause, so a resource server started before its issuer still finds it.
 */
import { wellKnown, wellKnownUrl } from '../../oauth/well-known.ts';
import { FetchError, fetchJson } from './fetch-json.ts';

export interface IssuerMetadata {
  issuer: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
  /** Not a registered member: the reference issuer's revocation event stream. */
  revocation_events_endpoint?: string;
}

const retryPauseMs = 1_000;

export class IssuerDiscovery {
  private readonly issuer: string;
  private readonly timeoutMs: number;
  private found: IssuerMetadata | undefined;
  private pending: Promise<IssuerMetadata> | undefined;
  private failedAt = Number.NEGATIVE_INFINITY;
  private lastError: Error | undefined;

  constructor(issuer: string, timeoutMs: number) {
    this.issuer = issuer;
    this.timeoutMs = timeoutMs;
  }

  async metadata(): Promise<IssuerMetadata> {
    if (this.found) return this.found;
    if (this.pending) return this.pending;
    if (performance.now() - this.failedAt < retryPauseMs && this.lastError) throw this.lastError;
    this.pending = this.fetchMetadata().then(
      (metadata) => {
        this.found = metadata;
        this.pending = undefined;
        return metadata;
      },
      (error: Error) => {
        this.failedAt = performance.now();
        this.lastError = error;
        this.pending = undefined;
        throw error;
      },
    );
    return this.pending;
  }

  private async fetchMetadata(): Promise<IssuerMetadata> {
    let lastError: Error | undefined;
    for (const url of wellKnownUrls(this.issuer)) {
      let document: unknown;
      try {
        document = await fetchJson(url, { timeoutMs: this.timeoutMs, maxBytes: 256 * 1024 });
      } catch (error) {
        lastError = error as Error;
        continue;
      }
      const metadata = document as Partial<IssuerMetadata> | null;
      // RFC 8414 §3.3: metadata whose issuer differs from the one asked for must not be used.
      if (typeof metadata !== 'object' || metadata === null || metadata.issuer !== this.issuer) {
        throw new FetchError(`the metadata at ${url} names another issuer`);
      }
      return {
        issuer: metadata.issuer,
        ...(typeof metadata.jwks_uri === 'string' && { jwks_uri: metadata.jwks_uri }),
        ...(typeof metadata.introspection_endpoint === 'string' && { introspection_endpoint: metadata.introspection_endpoint }),
        ...(typeof metadata.revocation_events_endpoint === 'string' && {
          revocation_events_endpoint: metadata.revocation_events_endpoint,
        }),
      };
    }
    throw lastError ?? new FetchError('no metadata found');
  }
}

/** RFC 8414 metadata first (an OAuth RS trusts an authorization server), then OIDC discovery. */
export function wellKnownUrls(issuer: string): string[] {
  return [wellKnownUrl(issuer, wellKnown.oauth), wellKnownUrl(issuer, wellKnown.openid)];
}
