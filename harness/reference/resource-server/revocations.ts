/**
 * Access tokens the issuer has revoked, learnt from its revocation events: by jti (JWTs) and by
 * token hash (opaque tokens, base64url SHA-256 as the issuer publishes it). Each entry is kept
 * until the token would have expired anyway, plus the leeway.
 */
import { BoundedMap } from './bounded-map.ts';

export interface Revocation {
  jti?: string;
  tokenHash?: string;
  /** The token's exp (seconds), when the event says. */
  exp?: number;
}

/** Without an exp in the event, a revocation is remembered this long. */
const defaultRetentionMs = 24 * 3_600_000;

export class RevocationList {
  private readonly jtis: BoundedMap<string, number>;
  private readonly hashes: BoundedMap<string, number>;
  private readonly listeners: ((revocation: Revocation) => void)[] = [];
  private readonly leewayMs: number;
  private readonly nowMs: () => number;

  constructor(options: { maxEntries: number; leewayMs: number; nowMs: () => number }) {
    this.jtis = new BoundedMap(options.maxEntries);
    this.hashes = new BoundedMap(options.maxEntries);
    this.leewayMs = options.leewayMs;
    this.nowMs = options.nowMs;
  }

  get size(): number {
    return this.jtis.size + this.hashes.size;
  }

  revoke(revocation: Revocation): void {
    const forgetAt = revocation.exp !== undefined ? revocation.exp * 1000 + this.leewayMs : this.nowMs() + defaultRetentionMs;
    if (revocation.jti !== undefined) this.jtis.set(revocation.jti, forgetAt);
    if (revocation.tokenHash !== undefined) this.hashes.set(revocation.tokenHash, forgetAt);
    for (const listener of this.listeners) listener(revocation);
  }

  isRevokedJti(jti: string): boolean {
    return this.jtis.has(jti);
  }

  isRevokedHash(tokenHash: string): boolean {
    return this.hashes.has(tokenHash);
  }

  /** Called for every revocation, so caches can drop the token at once. */
  onRevoke(listener: (revocation: Revocation) => void): void {
    this.listeners.push(listener);
  }

  sweep(): void {
    const now = this.nowMs();
    this.jtis.sweep((forgetAt) => forgetAt <= now);
    this.hashes.sweep((forgetAt) => forgetAt <= now);
  }
}
