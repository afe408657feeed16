/** Running external commands (go, apt-get, docker, ldd, …) to completion, for setup and environments. */
import { execFile } from 'node:child_process';
import { repoRoot } from './paths.ts';

export interface CommandResult {
  ok: boolean;
  /** Exit code; null when the command was killed (timeout) or could not start. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs: number;
}

/** Runs a command to completion and never throws: callers decide what a failure means. */
export function runCommand(command: string, args: readonly string[], options: RunOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, timeout: options.timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        // A command that could not start (ENOENT) or was killed says why only in the error.
        const why = error && stdout === '' && stderr === '' ? error.message : '';
        resolve({ ok: !error, code, stdout, stderr: stderr || why });
      },
    );
  });
}

/** The last lines of a command's output: where go, apt-get and docker put the actual error. */
export function tail(output: string, lines = 15): string {
  return output
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((line) => `    ${line}`)
    .join('\n');
}
