/**
 * Where the external tools live. Everything that runs k6, toxiproxy, Chromium or faketime
 * finds them here, so `tokenproof setup` and its users agree on one location.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../lib/errors.ts';
import { requireDiscoveredTool } from './discover.ts';
import type { GoToolName, ToolName } from './versions.ts';

// From this file's location, not the cwd, so the tools are found whatever directory
// tokenproof is started from.
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Git-ignored. Holds `bin/` and, during an install, short-lived `staging-*` folders. */
export const toolsDir = join(repoRoot, '.tools');
export const toolsBinDir = join(toolsDir, 'bin');

const installedNames: Record<GoToolName, string> = {
  k6: 'k6',
  // `go install` names it `server`; the name says what it is when it shows up in `ps`.
  toxiproxy: 'toxiproxy-server',
};

/** The path of a tool `tokenproof setup` installs (it may not be installed yet). */
export function toolPath(tool: GoToolName): string {
  return join(toolsBinDir, installedNames[tool]);
}

/** Where Debian's package (what `tokenproof setup` installs) puts the Chromium wrapper script. */
export const systemChromium = '/usr/bin/chromium';

/** Where `tokenproof setup` installs a tool (or the PATH, for faketime and xmllint); undefined when it is not there. No version check. */
export async function findTool(tool: ToolName): Promise<string | undefined> {
  switch (tool) {
    case 'k6':
    case 'toxiproxy':
      return (await isExecutable(toolPath(tool))) ? toolPath(tool) : undefined;
    case 'chromium':
      return (await isExecutable(systemChromium)) ? systemChromium : undefined;
    case 'faketime':
      return findOnPath('faketime');
    case 'xmllint':
      return findOnPath('xmllint');
  }
}

/**
 * The binary to run, for code that cannot go on without the tool. k6, toxiproxy and Chromium come
 * from tool discovery (discover.ts: environment variable, PATH, then what setup installed, each
 * version-checked); faketime and xmllint from the PATH.
 */
export async function requireTool(tool: ToolName): Promise<string> {
  if (tool === 'k6' || tool === 'toxiproxy' || tool === 'chromium') return (await requireDiscoveredTool(tool)).path;
  const path = await findTool(tool);
  if (path === undefined) {
    throw new EnvironmentError(`${tool} is not installed`, 'run `tokenproof setup` (or `npm run setup`)');
  }
  return path;
}

export async function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  for (const directory of (env['PATH'] ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
