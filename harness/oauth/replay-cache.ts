/**
 * A set of seen identifiers (DPoP jti, client-assertion jti) that forgets each entry when it
 * could no longer be replayed anyway, so memory stays bounded under load.
 */
export class ReplayCache {
  private readonly expiries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(options: { maxEntries?: number; nowMs?: () => number } = {}) {
    this.maxEntries = options.maxEntries ?? 1_000_000;
    this.now = options.nowMs ?? Date.now;
  }

  /** Records `id` until `expiresAtMs`; false if it was already recorded and is still live. */
  add(id: string, expiresAtMs: number): boolean {
    const now = this.now();
    const seen = this.expiries.get(id);
    if (seen !== undefined && seen > now) return false;
    if (now - this.lastSweep > 10_000 || this.expiries.size >= this.maxEntries) this.sweep(now);
    // Refusing is safer than forgetting: a full cache would otherwise let replays through.
    if (this.expiries.size >= this.maxEntries) return false;
    this.expiries.set(id, expiresAtMs);
    return true;
  }

  get size(): number {
    return this.expiries.size;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [id, expiry] of this.expiries) if (expiry <= now) this.expiries.delete(id);
  }
}
