/**
 * Values worth computing once per run (discovery, the JWKS), shared by every check's steps. A
 * failed lookup is remembered too: the first check that needed it records the evidence and
 * reports the failure; later checks get a short StepError pointing there instead of asking a
 * broken target again (a 2 GB discovery body is downloaded once, not once per check).
 */
import { StepError } from '../runner/verdict.ts';

interface Entry {
  value: Promise<unknown>;
  /** The check that computed it (its evidence holds the exchanges). */
  owner: string;
}

export class RunCache {
  private readonly entries = new Map<string, Entry>();

  /** The value for key, computed by `compute` in the first caller (`owner`, a check id). */
  async get<T>(key: string, owner: string, compute: () => Promise<T>): Promise<{ value: T; firstUse: boolean }> {
    const existing = this.entries.get(key);
    if (existing) {
      try {
        return { value: (await existing.value) as T, firstUse: false };
      } catch (error) {
        throw new StepError(`${(error as Error).message} (seen first in ${existing.owner}; not asked again)`);
      }
    }
    const value = compute();
    this.entries.set(key, { value, owner });
    return { value: await value, firstUse: true };
  }

  /** Drops a value that the target has since changed (after a key rotation, say). */
  forget(key: string): void {
    this.entries.delete(key);
  }
}
