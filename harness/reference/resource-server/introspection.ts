/**
 * Opaque tokens (or any token, in introspection mode) checked by asking the issuer (RFC 7662),
 * with a bounded cache keyed by the token's SHA-256: an active answer is reused for `cacheTtl`
 * (never past the token's exp), an inactive one for `negativeCacheTtl`. The cache TTL bounds
 * how long a revoked token can still pass when the revocation event is lost.
 *
 * When the issuer cannot answer, the failure policy decides: `unavailable` (503) and `reject`
 * (401) fail closed; `stale` reuses an earlier active answer for a while, else fails closed.
 */
import { createHash } from 'node:crypto';
import { basicAuthorization, formBody } from '../../oauth/client.ts';
import { BoundedMap } from './bounded-map.ts';
import { type ClaimRules, readClaims, type VerifiedToken } from './claims.ts';
import { fetchJson } from './fetch-json.ts';
import { invalidToken, ResourceError, unavailable } from './resource-error.ts';
import type { RevocationList } from './revocations.ts';

export interface IntrospectionOptions {
  endpoint: () => Promise<string>;
  clientId: string;
  clientSecret: string;
  auth: 'client_secret_basic' | 'client_secret_post';
  timeoutMs: number;
  cacheTtlMs: number;
  negativeCacheTtlMs: number;
  staleForMs: number;
  maxEntries: number;
  policy: 'unavailable' | 'reject' | 'stale';
  rules: ClaimRules;
  revocations: RevocationList;
  onAnswer?: (outcome: 'active' | 'inactive' | 'error') => void;
  onCacheLookup?: (hit: boolean) => void;
}

interface Answer {
  verdict: VerifiedToken | ResourceError;
  freshUntil: number;
  staleUntil: number;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export class IntrospectionClient {
  private readonly options: IntrospectionOptions;
  private readonly cache: BoundedMap<string, Answer>;
  /** One introspection per token at a time: concurrent requests with the same token share it. */
  private readonly pending = new Map<string, Promise<Answer>>();

  constructor(options: IntrospectionOptions) {
    this.options = options;
    this.cache = new BoundedMap(options.maxEntries);
    options.revocations.onRevoke((revocation) => {
      if (revocation.tokenHash !== undefined) this.cache.delete(revocation.tokenHash);
    });
  }

  get size(): number {
    return this.cache.size;
  }

  async check(token: string): Promise<VerifiedToken> {
    const hash = tokenHash(token);
    const { revocations } = this.options;
    if (revocations.isRevokedHash(hash)) throw invalidToken('revoked', 'the token has been revoked');
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.freshUntil > now) {
      this.options.onCacheLookup?.(true);
      return verdictOf(cached);
    }
    this.options.onCacheLookup?.(false);
    let answer: Answer;
    try {
      answer = await this.introspectOnce(hash, token);
    } catch {
      this.options.onAnswer?.('error');
      return this.whenIssuerFails(cached);
    }
    // A revocation event may have arrived while the issuer was answering.
    if (revocations.isRevokedHash(hash)) throw invalidToken('revoked', 'the token has been revoked');
    return verdictOf(answer);
  }

  sweep(): void {
    const now = Date.now();
    this.cache.sweep((answer) => answer.staleUntil <= now);
  }

  private whenIssuerFails(cached: Answer | undefined): VerifiedToken {
    const { policy } = this.options;
    if (policy === 'stale' && cached && cached.staleUntil > Date.now() && !(cached.verdict instanceof ResourceError)) {
      return cached.verdict;
    }
    if (policy === 'reject') throw invalidToken('introspection_failed', 'the token could not be checked with its issuer');
    throw unavailable('introspection_failed', 'the issuer cannot be reached to check the token');
  }

  private introspectOnce(hash: string, token: string): Promise<Answer> {
    let pending = this.pending.get(hash);
    if (!pending) {
      pending = this.introspect(token).finally(() => this.pending.delete(hash));
      this.pending.set(hash, pending);
    }
    return pending.then((answer) => {
      this.cache.set(hash, answer);
      return answer;
    });
  }

  private async introspect(token: string): Promise<Answer> {
    const { options } = this;
    const basic = options.auth === 'client_secret_basic';
    const params = {
      token,
      token_type_hint: 'access_token',
      ...(!basic && { client_id: options.clientId, client_secret: options.clientSecret }),
    };
    const answer = await fetchJson(await options.endpoint(), {
      method: 'POST',
      timeoutMs: options.timeoutMs,
      maxBytes: 64 * 1024,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(basic && { authorization: basicAuthorization(options.clientId, options.clientSecret) }),
      },
      body: formBody(params).toString(),
    });
    if (
      typeof answer !== 'object' ||
      answer === null ||
      Array.isArray(answer) ||
      typeof (answer as { active?: unknown }).active !== 'boolean'
    ) {
      throw new Error('the introspection answer is not an RFC 7662 response');
    }
    const now = Date.now();
    const claims = answer as Record<string, unknown>;
    if (claims.active !== true) {
      options.onAnswer?.('inactive');
      const verdict = invalidToken('inactive', 'the token is not active');
      return { verdict, freshUntil: now + options.negativeCacheTtlMs, staleUntil: now + options.negativeCacheTtlMs };
    }
    options.onAnswer?.('active');
    let verdict: VerifiedToken | ResourceError;
    try {
      verdict = readClaims(claims, options.rules);
    } catch (error) {
      if (!(error instanceof ResourceError)) throw error;
      verdict = error;
    }
    const expiresAt = verdict instanceof ResourceError ? Number.POSITIVE_INFINITY : verdict.expiresAt;
    const freshUntil = Math.min(now + options.cacheTtlMs, expiresAt);
    return { verdict, freshUntil, staleUntil: Math.min(freshUntil + options.staleForMs, expiresAt) };
  }
}

function verdictOf(answer: Answer): VerifiedToken {
  if (answer.verdict instanceof ResourceError) throw answer.verdict;
  return answer.verdict;
}
