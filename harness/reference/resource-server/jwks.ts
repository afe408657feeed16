/**
 * The issuer's signing keys as this server knows them: fetched from jwks_uri at start, refreshed
 * in the background so removed keys stop verifying, and refetched when a token names an unknown
 * kid, at most once per cool-down (an attacker's random kids cannot turn this server into a
 * JWKS-fetching amplifier). A failed fetch keeps the keys already known, so an issuer outage
 * does not take valid tokens down with it.
 *
 * Keys are imported with node's createPublicKey (format 'jwk'): the key material is all that is
 * ever taken from the JWKS. Keys marked for encryption, restricted by key_ops, carrying private
 * members or of an unknown type are kept only to be refused by kid (CHECKS S13).
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { hasPrivateMembers } from '../../oauth/jwk.ts';
import type { VerificationKey } from './algorithms.ts';
import { fetchJson } from './fetch-json.ts';

export interface JwksKey extends VerificationKey {
  kid: string | undefined;
}

/** A published key that must never verify anything; kept by kid so a token naming it is refused, not refetched. */
export interface RefusedKey {
  kid: string;
  refused: string;
}

export type JwksEntry = JwksKey | RefusedKey;

export interface JwksCacheOptions {
  /** Resolves the JWKS URL (configured, or from discovery). */
  uri: () => Promise<string>;
  cooldownMs: number;
  refreshIntervalMs: number;
  timeoutMs: number;
  maxBytes: number;
  onFetch?: (outcome: 'ok' | 'error', error?: Error) => void;
}

export class JwksCache {
  private readonly options: JwksCacheOptions;
  private byKid = new Map<string, JwksEntry[]>();
  /** The usable keys, for tokens without a kid. */
  private usable: JwksKey[] = [];
  /** Imported keys by their JWK text, so an unchanged key keeps its identity across refreshes. */
  private byJwkText = new Map<string, JwksEntry>();
  private pending: Promise<boolean> | undefined;
  private lastUnknownKidFetch = Number.NEGATIVE_INFINITY;
  private followUp: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Set once a JWKS has been read successfully. */
  loadedAt: number | undefined;
  lastError: Error | undefined;

  constructor(options: JwksCacheOptions) {
    this.options = options;
  }

  get loaded(): boolean {
    return this.loadedAt !== undefined;
  }

  /** How many usable keys are known. */
  get size(): number {
    return this.usable.length;
  }

  /** Fetches once (a failure is remembered, not thrown) and starts the background refresh. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.followUp);
  }

  /** Keys published under `kid`; without a kid, every usable key (the caller filters by algorithm). */
  lookup(kid: string | undefined): readonly JwksEntry[] {
    if (kid === undefined) return this.usable;
    return this.byKid.get(kid) ?? [];
  }

  /** Whether this exact key is still published (a cached token's key may have been removed since). */
  stillPublished(key: JwksKey): boolean {
    return key.kid === undefined ? this.usable.includes(key) : (this.byKid.get(key.kid)?.includes(key) ?? false);
  }

  /**
   * A refetch because a token named a kid this server does not know. Undefined while the
   * cool-down since the last such refetch runs; one more refetch then happens when it ends, so a
   * key rotated in meanwhile is still learnt within one cool-down.
   */
  refreshForUnknownKid(): Promise<boolean> | undefined {
    if (this.pending) return this.pending;
    const sinceLast = performance.now() - this.lastUnknownKidFetch;
    if (sinceLast < this.options.cooldownMs) {
      this.followUp ??= setTimeout(() => {
        this.followUp = undefined;
        this.lastUnknownKidFetch = performance.now();
        void this.refresh();
      }, this.options.cooldownMs - sinceLast).unref();
      return undefined;
    }
    this.lastUnknownKidFetch = performance.now();
    return this.refresh();
  }

  /** Fetches the JWKS now (one fetch at a time); true if a key set was read. */
  refresh(): Promise<boolean> {
    this.pending ??= this.fetchKeys().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchKeys(): Promise<boolean> {
    try {
      const uri = await this.options.uri();
      const document = await fetchJson(uri, { timeoutMs: this.options.timeoutMs, maxBytes: this.options.maxBytes });
      const jwks = document as { keys?: unknown } | null;
      if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) {
        throw new Error('the JWKS is not an object with a keys array');
      }
      this.replaceKeys(jwks.keys);
      this.loadedAt = Date.now();
      this.lastError = undefined;
      this.options.onFetch?.('ok');
      return true;
    } catch (error) {
      this.lastError = error as Error;
      this.options.onFetch?.('error', error as Error);
      return false;
    }
  }

  private replaceKeys(jwks: unknown[]): void {
    const byKid = new Map<string, JwksEntry[]>();
    const byJwkText = new Map<string, JwksEntry>();
    const usable: JwksKey[] = [];
    for (const jwk of jwks) {
      if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) continue;
      const text = JSON.stringify(jwk);
      const entry = this.byJwkText.get(text) ?? importKey(jwk as Record<string, unknown>);
      if (!entry) continue;
      byJwkText.set(text, entry);
      if (!('refused' in entry)) usable.push(entry);
      if (entry.kid !== undefined) byKid.set(entry.kid, [...(byKid.get(entry.kid) ?? []), entry]);
    }
    this.byKid = byKid;
    this.byJwkText = byJwkText;
    this.usable = usable;
  }
}

/** One JWK as a verification key, a refused key (when it has a kid), or undefined. */
export function importKey(jwk: Record<string, unknown>): JwksEntry | undefined {
  const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
  const refuse = (refused: string) => (kid === undefined ? undefined : { kid, refused });
  if (jwk.use !== undefined && jwk.use !== 'sig') return refuse('the key is not for signatures (use)');
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify')))
    return refuse('the key may not verify (key_ops)');
  if (hasPrivateMembers(jwk)) return refuse('the JWKS publishes private key material');
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') return refuse('the key type cannot verify signatures');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return refuse('the key cannot be imported');
  }
  const details = key.asymmetricKeyDetails ?? {};
  const type = key.asymmetricKeyType;
  const base = { kid, key, ...(typeof jwk.alg === 'string' && { alg: jwk.alg }) };
  if (type === 'rsa') return { ...base, keyType: 'rsa', modulusLength: details.modulusLength ?? 0 };
  if (type === 'ec') return { ...base, keyType: 'ec', curve: details.namedCurve ?? '' };
  if (type === 'ed25519' || type === 'ed448') return { ...base, keyType: 'okp', curve: type };
  return refuse('the key type cannot verify signatures');
}
