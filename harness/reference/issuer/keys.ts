/**
 * The issuer's signing keys and their life cycle. A rotation publishes the new key at once and
 * signs with it only after `prePublishMs`, so resource servers that cache the JWKS see it
 * before the first token does; the old key stays published until every token it signed has
 * expired. Key ids are RFC 7638 thumbprints, so a kid is never reused for another key.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Clock } from '../../lib/clock.ts';
import { generateKeyPairFor, jwsAlgorithms, minimumRsaModulusLength, type SigningAlg } from '../../oauth/algorithms.ts';

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
  publishedAt: number;
  /** Signs tokens from this instant. */
  activeFrom: number;
  /** Set when a newer key takes over: the key leaves the JWKS at this instant. */
  removeAt?: number;
}

export interface KeyStoreOptions {
  alg: SigningAlg;
  clock: Clock;
  prePublishMs: number;
  /** The longest lifetime of anything the key signs: how long a replaced key stays published. */
  retainMs: () => number;
}

export class KeyStore {
  private keys: SigningKey[] = [];
  private readonly options: KeyStoreOptions;
  private jwksCache: { until: number; body: string } | undefined;

  private constructor(options: KeyStoreOptions) {
    this.options = options;
  }

  /** A store whose first key is `initial` (a configured key file) or a fresh one. */
  static async create(options: KeyStoreOptions, initial?: KeyObject): Promise<KeyStore> {
    const store = new KeyStore(options);
    await store.rotate({ activateAfterMs: 0 }, initial);
    return store;
  }

  /** The key that signs now: the newest key already active. */
  signingKey(): SigningKey {
    const now = this.options.clock.nowMs();
    for (let i = this.keys.length - 1; i >= 0; i--) {
      const key = this.keys[i]!;
      if (key.activeFrom <= now) return key;
    }
    return this.keys[0]!;
  }

  /** A published key by kid (for verifying the issuer's own tokens). */
  find(kid: unknown): SigningKey | undefined {
    const now = this.options.clock.nowMs();
    return this.keys.find((key) => key.kid === kid && (key.removeAt === undefined || key.removeAt > now));
  }

  published(): SigningKey[] {
    const now = this.options.clock.nowMs();
    this.keys = this.keys.filter((key) => key.removeAt === undefined || key.removeAt > now);
    return this.keys;
  }

  /** The JWKS document, serialised once per change of the key set. */
  jwksBody(): string {
    const now = this.options.clock.nowMs();
    if (this.jwksCache && now < this.jwksCache.until) return this.jwksCache.body;
    const keys = this.published();
    const body = JSON.stringify({ keys: keys.map((key) => key.publicJwk) });
    const nextChange = Math.min(...keys.map((key) => key.removeAt ?? Number.POSITIVE_INFINITY));
    this.jwksCache = { until: nextChange, body };
    return body;
  }

  /** Generates and publishes a new key; the current one retires once the new one is active. */
  async rotate(options: { activateAfterMs?: number } = {}, existing?: KeyObject): Promise<SigningKey> {
    const { alg, clock } = this.options;
    const { privateKey, publicKey } = existing
      ? { privateKey: existing, publicKey: createPublicKey(existing) }
      : await generateKeyPairFor(alg);
    const exported = publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(exported, 'sha256');
    const now = clock.nowMs();
    const activeFrom = now + (options.activateAfterMs ?? this.options.prePublishMs);
    const publicJwk: JWK = { ...exported, kid, alg, use: 'sig' };
    for (const key of this.keys) {
      // A retired key keeps verifying everything it signed until the last of it expires.
      if (key.removeAt === undefined) key.removeAt = activeFrom + this.options.retainMs();
    }
    const key: SigningKey = { kid, alg, privateKey, publicKey, publicJwk, publishedAt: now, activeFrom };
    this.keys.push(key);
    this.jwksCache = undefined;
    return key;
  }
}

/** The key type each algorithm signs with, to refuse a key file that does not fit `signing.alg`. */
export function keyFitsAlg(key: KeyObject, alg: SigningAlg): boolean {
  const type = key.asymmetricKeyType;
  const spec = jwsAlgorithms[alg];
  if (spec.kty === 'RSA') return type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= minimumRsaModulusLength;
  if (spec.kty === 'EC') return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === spec.namedCurve;
  return type === 'ed25519';
}
