/**
 * Writes one run's reports: reports/<run-id>/ gets every reporter's files, then reports/latest
 * is pointed at it. The link is swapped atomically (a new symlink renamed over the old one), so
 * a dashboard or a CI step reading reports/latest never sees a half-updated or missing folder.
 * Where symlinks are not allowed (Windows without developer mode, some mounted volumes) latest
 * is a copy instead.
 */
import { randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, rename, rm, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EnvironmentError } from '../lib/errors.ts';
import type { Reporter, RunResult } from '../results/model.ts';

export const latestLink = 'latest';

/** A run id becomes a folder name: it must be one plain path segment. */
const safeRunId = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface WrittenReports {
  /** The run's folder, absolute. */
  dir: string;
  /** Every file the reporters wrote, absolute, in reporter order. */
  files: string[];
}

export async function writeReports(result: RunResult, reporters: readonly Reporter[], baseDir: string): Promise<WrittenReports> {
  if (!safeRunId.test(result.runId) || result.runId === latestLink || result.runId.includes('..')) {
    throw new Error(`run id '${result.runId}' cannot name a report folder (letters, digits, . _ - only)`);
  }
  const base = resolve(baseDir);
  const dir = join(base, result.runId);
  await mkdir(dir, { recursive: true });

  // Every reporter gets its turn even when one fails (a Pushgateway down must not cost the JUnit
  // file); the failures are raised together once latest points at what was written.
  const files: string[] = [];
  const failures: { reporter: string; error: unknown }[] = [];
  for (const reporter of reporters) {
    try {
      files.push(...(await reporter.onEnd(result, dir)));
    } catch (error) {
      failures.push({ reporter: reporter.name, error });
    }
  }
  await pointLatest(base, result.runId);

  if (failures.length === 1 && failures[0]?.error instanceof Error) throw failures[0].error;
  if (failures.length > 0) {
    const problems = failures.map(
      ({ reporter, error }) => `${reporter}: ${error instanceof Error ? error.message : String(error)}`,
    );
    throw new EnvironmentError(
      `reporters failed:\n  ${problems.join('\n  ')}`,
      `the other reports are in ${dir}; fix the failures above`,
    );
  }
  return { dir, files };
}

/**
 * Makes base/latest refer to base/<runId>: a relative symlink swapped in atomically, else a copy.
 * `makeLink` is fs.symlink; tests pass one that fails to exercise the copy.
 */
export async function pointLatest(base: string, runId: string, makeLink: typeof symlink = symlink): Promise<void> {
  const latest = join(base, latestLink);
  const staging = join(base, `.${latestLink}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await makeLink(runId, staging, 'dir');
  } catch {
    await copyLatest(base, runId, staging, latest);
    return;
  }
  try {
    await rename(staging, latest);
  } catch (error) {
    // rename(2) cannot replace a directory with a symlink: latest is a copy left by an earlier
    // run on a system without symlinks. Remove it and retry once.
    if (!(await isRealDirectory(latest))) {
      await rm(staging, { force: true });
      throw error;
    }
    await rm(latest, { recursive: true, force: true });
    await rename(staging, latest);
  }
}

async function copyLatest(base: string, runId: string, staging: string, latest: string): Promise<void> {
  try {
    await cp(join(base, runId), staging, { recursive: true });
    await rm(latest, { recursive: true, force: true });
    await rename(staging, latest);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function isRealDirectory(path: string): Promise<boolean> {
  try {
    const stats = await lstat(path);
    return stats.isDirectory() && !stats.isSymbolicLink();
  } catch {
    return false;
  }
}
