/**
 * Temporary folders and files that hold whole tokens, secrets or private keys (a load run's token
 * pool, the stack's generated client key, credentials written for the user). They are owner-only,
 * removed when their owner is done with them, and in any case when the process exits, also on the
 * way out of a Ctrl-C (`process.exit(130)` skips the `finally` blocks that would remove them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pending = new Set<string>();
let hooked = false;

function removeAll(): void {
  for (const path of pending) rmSync(path, { recursive: true, force: true });
  pending.clear();
}

/** Removes `path` (a file or a folder) at process exit unless it was removed before. */
export function removeAtExit(path: string): { remove(): void } {
  pending.add(path);
  if (!hooked) {
    hooked = true;
    process.on('exit', removeAll);
  }
  return {
    remove() {
      pending.delete(path);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** A new owner-only folder under the system's temporary folder (mode 0700), removed at process exit at the latest. */
export function secretTempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, ...removeAtExit(path) };
}
