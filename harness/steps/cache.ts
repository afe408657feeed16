/**
 * Values worth computing once per run (the well-known documents, the JWKS) and run-scoped
 * resources (the login browser), shared by every check's steps. A failed lookup is remembered
 * too: the first check that needed it records the evidence and reports the failure; later checks
 * get a short StepError pointing there instead of asking a broken target again (a 2 GB discovery
 * body is downloaded once, not once per check).
 */
import { StepError } from '../runner/verdict.ts';

interface Entry {
  value: Promise<unknown>;
  /** The check that computed it (its evidence holds the exchanges). */
  owner: string;
}

export interface Cached<T> {
  value: T;
  /** True for the caller that computed it (its evidence has the exchanges). */
  firstUse: boolean;
  /** The check whose evidence has the exchanges. */
  owner: string;
}

export interface RunCacheOptions {
  /** Where steps may write run artifacts (login screenshots): the run folder. */
  artifactsDir?: string;
}

export class RunCache {
  private readonly entries = new Map<string, Entry>();
  private readonly disposers: (() => Promise<void> | void)[] = [];
  readonly artifactsDir: string | undefined;

  constructor(options: RunCacheOptions = {}) {
    this.artifactsDir = options.artifactsDir;
  }

  /** The value for key, computed by `compute` in the first caller (`owner`, a check id). */
  async get<T>(key: string, owner: string, compute: () => Promise<T>): Promise<Cached<T>> {
    const existing = this.entries.get(key);
    if (existing) {
      try {
        return { value: (await existing.value) as T, firstUse: false, owner: existing.owner };
      } catch (error) {
        throw new StepError(`${(error as Error).message} (seen first in ${existing.owner}; not asked again)`);
      }
    }
    const value = compute();
    this.entries.set(key, { value, owner });
    return { value: await value, firstUse: true, owner };
  }

  /**
   * Computes the value again (the target changed it: a key rotation) and shares the new one.
   * A lookup that failed is not asked again: the failure stands for the run.
   */
  async refresh<T>(key: string, owner: string, compute: () => Promise<T>): Promise<Cached<T>> {
    if (this.entries.has(key)) await this.get(key, owner, compute);
    this.entries.delete(key);
    return this.get(key, owner, compute);
  }

  /** Drops a value that the target has since changed (after a key rotation, say). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  /** A run-scoped resource (the login browser): created by the first caller, closed by dispose(). */
  async resource<T>(key: string, owner: string, create: () => Promise<T>, close: (value: T) => Promise<void> | void): Promise<T> {
    const { value } = await this.get(`resource:${key}`, owner, async () => {
      const created = await create();
      this.disposers.push(() => close(created));
      return created;
    });
    return value;
  }

  /** Closes every resource the run created; one that fails to close does not keep the others open. */
  async dispose(): Promise<void> {
    const disposers = this.disposers.splice(0);
    await Promise.allSettled(disposers.map((dispose) => dispose()));
  }
}
