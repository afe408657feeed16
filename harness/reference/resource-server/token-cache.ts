/**
 * Tokens that passed every check, keyed by the token itself, so a token seen before costs one
 * map lookup instead of a signature verification. An entry is only a shortcut past the parsing
 * and the signature: the caller still checks the times, that the verifying key is still
 * published, the DPoP proof and the scope on every use. Revocation events drop entries by jti.
 */
import { BoundedMap } from './bounded-map.ts';
import type { VerifiedToken } from './claims.ts';

export class VerifiedTokenCache {
  private readonly entries: BoundedMap<string, VerifiedToken>;
  /** jti → token, to drop a token when its jti is revoked. */
  private readonly byJti = new Map<string, string>();

  constructor(maxEntries: number) {
    this.entries = new BoundedMap(maxEntries, (token, verified) => this.forgetJti(token, verified));
  }

  get size(): number {
    return this.entries.size;
  }

  get(token: string): VerifiedToken | undefined {
    return this.entries.get(token);
  }

  set(token: string, verified: VerifiedToken): void {
    this.entries.set(token, verified);
    if (verified.jti !== undefined) this.byJti.set(verified.jti, token);
  }

  delete(token: string): void {
    const verified = this.entries.get(token);
    if (!verified) return;
    this.entries.delete(token);
    this.forgetJti(token, verified);
  }

  deleteByJti(jti: string): void {
    const token = this.byJti.get(jti);
    if (token !== undefined) this.delete(token);
  }

  /** Drops expired entries (run from a timer, not per request). */
  sweep(nowMs: number, leewayMs: number): void {
    for (const [token, verified] of this.entries) if (nowMs >= verified.expiresAt + leewayMs) this.delete(token);
  }

  clear(): void {
    this.entries.clear();
    this.byJti.clear();
  }

  private forgetJti(token: string, verified: VerifiedToken): void {
    if (verified.jti !== undefined && this.byJti.get(verified.jti) === token) this.byJti.delete(verified.jti);
  }
}
