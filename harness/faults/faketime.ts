/**
 * Clock skew for a process the harness launches: libfaketime (Debian's `faketime` package)
 * preloaded into it, reading its offset from a file on every clock call, so a game day can move
 * the process's clock and move it back without a restart. Works for programs that read the time
 * through libc (Node, Java, Python); not for Go binaries, which read it through the vDSO or raw
 * syscalls and never call the preloaded functions (`looksLikeGoBinary` spots them, for a note).
 */
import { closeSync, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { EnvironmentError } from '../lib/errors.ts';
import type { SkewedIssuer } from './chaos-environment.ts';

const libraryPaths = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
];

/** The installed libfaketime, or undefined (a chaos run then launches targets without it). */
export function findFaketimeLibrary(): string | undefined {
  return libraryPaths.find((path) => existsSync(path));
}

export function faketimeLibrary(): string {
  const found = libraryPaths.find((path) => existsSync(path));
  if (!found)
    throw new EnvironmentError('libfaketime is not installed', "run `tokenproof setup` (it installs Debian's faketime)");
  return found;
}

/**
 * The environment that puts a launched process's clock under `offsetFile` (starts at +0); a
 * preload the launch block already asks for is kept after libfaketime.
 */
export function faketimeEnvironment(offsetFile: string, existingPreload?: string): Record<string, string> {
  setFaketimeOffset(offsetFile, 0);
  return {
    LD_PRELOAD: [faketimeLibrary(), existingPreload].filter(Boolean).join(':'),
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

/** Go's build-info magic (Go 1.13+), in every Go executable's .go.buildinfo section. */
const goBuildInfo = Buffer.from('\xff Go buildinf:', 'latin1');
const scanLimit = 256 * 1024 * 1024;

/** The executable a launch command runs: as given when it has a slash, else from the PATH. */
function executableOf(command: string, cwd: string): string | undefined {
  if (command.includes('/')) return isAbsolute(command) ? command : resolve(cwd, command);
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * True when the launch command's executable is a Go binary (its build-info magic is in the file):
 * libfaketime cannot move its clock. False when it is not, or cannot be read (a script through an
 * interpreter is judged by the interpreter: `node server.js` is not Go).
 */
export function looksLikeGoBinary(command: string, cwd = process.cwd()): boolean {
  const file = executableOf(command, cwd);
  if (!file) return false;
  let fd: number;
  try {
    if (!statSync(file).isFile()) return false;
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const chunk = Buffer.alloc(1 << 20);
    let position = 0;
    let carry = Buffer.alloc(0);
    while (position < scanLimit) {
      const read = readSync(fd, chunk, 0, chunk.length, position);
      if (read <= 0) return false;
      const window = Buffer.concat([carry, chunk.subarray(0, read)]);
      if (window.includes(goBuildInfo)) return true;
      carry = window.subarray(Math.max(0, window.length - goBuildInfo.length + 1));
      position += read;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}
