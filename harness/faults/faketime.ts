/**
 * Clock skew for a process the harness launches: libfaketime (Debian's `faketime` package)
 * preloaded into it, reading its offset from a file on every clock call, so a game day can move
 * the process's clock and move it back without a restart. Works for programs that read the time
 * through libc (Node, Java, Python); not for Go binaries, which read it through the vDSO or raw
 * syscalls and never call the preloaded functions.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { EnvironmentError } from '../lib/errors.ts';
import type { SkewedIssuer } from './chaos-environment.ts';

const libraryPaths = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
];

export function faketimeLibrary(): string {
  const found = libraryPaths.find((path) => existsSync(path));
  if (!found)
    throw new EnvironmentError('libfaketime is not installed', "run `tokenproof setup` (it installs Debian's faketime)");
  return found;
}

/** The environment that puts a launched process's clock under `offsetFile` (starts at +0). */
export function faketimeEnvironment(offsetFile: string): Record<string, string> {
  setFaketimeOffset(offsetFile, 0);
  return {
    LD_PRELOAD: faketimeLibrary(),
    FAKETIME_TIMESTAMP_FILE: offsetFile,
    // Re-read the file on every call: the offset changes while the process runs.
    FAKETIME_NO_CACHE: '1',
    // Timers and timeouts run on the monotonic clock: leave it alone so nothing fires early or hangs.
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

/** Moves the process's wall clock to now + offsetSeconds (0 restores it). */
export function setFaketimeOffset(offsetFile: string, offsetSeconds: number): void {
  writeFileSync(offsetFile, `${offsetSeconds >= 0 ? '+' : ''}${Math.trunc(offsetSeconds)}s\n`);
}

/** A skewed issuer whose clock is a launched process under libfaketime; `mint` gets a token from it. */
export function faketimeSkew(offsetFile: string, mint: SkewedIssuer['mint']): SkewedIssuer {
  return {
    mechanism: 'libfaketime in the launched issuer process',
    async setOffset(offsetSeconds) {
      setFaketimeOffset(offsetFile, offsetSeconds);
    },
    mint,
  };
}
