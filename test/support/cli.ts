/** Runs the tokenproof CLI as a subprocess (Node 24, NO_COLOR), the way a user or a CI step does. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../harness/tools/paths.ts';

export const cliMain = join(repoRoot, 'harness', 'cli', 'main.ts');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Resolves when the command has exited, with everything it printed. */
export function runCli(args: string[], env: Record<string, string> = {}, cwd = repoRoot): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliMain, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
