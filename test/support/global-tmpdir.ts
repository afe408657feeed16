/**
 * vitest globalSetup: the whole test run gets one temporary folder (TMPDIR, inherited by the test
 * workers and every process they start), removed when the run ends, so the ~50 folders the tests
 * and the servers they launch create (configs, logs, k6 work, reports) do not pile up in /tmp.
 * Mode 0755 like /tmp's own traversal rights, so containers that run as another user can still
 * reach their bind-mounted folders inside it.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'tokenproof-tests-'));
  chmodSync(dir, 0o755);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
