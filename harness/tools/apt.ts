/** Installing Debian packages: one `apt-get update`, one install, and an error that says what to run by hand. */
import { EnvironmentError } from '../lib/errors.ts';
import { runCommand, tail } from './command.ts';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The command a person runs to install `packages` (with sudo when not root). */
export function aptInstallFix(packages: readonly string[]): string {
  const install = `apt-get update && apt-get install -y ${packages.join(' ')}`;
  return isRoot() ? install : `sudo sh -c '${install}'`;
}

export async function aptGetInstall(packages: readonly string[]): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', ...packages]]) {
    const result = await runCommand('apt-get', args, { env, timeoutMs: 20 * 60_000 });
    if (!result.ok) {
      throw new EnvironmentError(
        `apt-get ${args.join(' ')} failed:\n${tail(`${result.stdout}${result.stderr}`)}`,
        `fix the apt sources or network, or install by hand: ${aptInstallFix(packages)}`,
      );
    }
  }
}
