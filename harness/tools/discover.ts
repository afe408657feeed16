/**
 * Which binary of k6, toxiproxy or Chromium a run uses, in the order a user expects: an explicit
 * environment variable (TOKENPROOF_K6, TOKENPROOF_TOXIPROXY, TOKENPROOF_CHROMIUM), then the PATH
 * (version-checked against the supported range: most k6 users already have k6 from Grafana's
 * packages or Homebrew), then, for Chromium, Playwright's installed browser, and last what
 * `tokenproof setup` installed. Every answer says where the binary came from, so a run can print
 * which one it used.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { EnvironmentError } from '../lib/errors.ts';
import { runCommand } from './command.ts';
import { findOnPath, systemChromium, toolPath } from './paths.ts';
import { goTools, parseToolVersion, type ToolName, versionInRange } from './versions.ts';

export type DiscoverableTool = 'k6' | 'toxiproxy' | 'chromium';
export type ToolSource = 'environment' | 'path' | 'playwright' | 'setup';

export interface DiscoveredTool {
  tool: DiscoverableTool;
  path: string;
  version: string;
  source: ToolSource;
}

export const toolEnvironmentVariables: Record<DiscoverableTool, string> = {
  k6: 'TOKENPROOF_K6',
  toxiproxy: 'TOKENPROOF_TOXIPROXY',
  chromium: 'TOKENPROOF_CHROMIUM',
};

/** The names each tool goes by on a PATH. */
const pathNames: Record<DiscoverableTool, string[]> = {
  k6: ['k6'],
  toxiproxy: ['toxiproxy-server'],
  chromium: ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'],
};

export interface DiscoveryResult {
  found?: DiscoveredTool;
  /** Binaries that were there but not usable (too old, no version), for the error and for setup. */
  rejected: { path: string; source: ToolSource; why: string }[];
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The version a binary reports, undefined when it does not run or prints something else. */
export async function reportedToolVersion(tool: ToolName, path: string): Promise<string | undefined> {
  const args = tool === 'k6' || tool === 'toxiproxy' ? goTools[tool].versionArgs : ['--version'];
  const result = await runCommand(path, args, { timeoutMs: 30_000 });
  return parseToolVersion(tool, `${result.stdout}${result.stderr}`);
}

async function playwrightChromium(): Promise<string | undefined> {
  try {
    const { chromium } = await import('playwright-core');
    return chromium.executablePath();
  } catch {
    return undefined;
  }
}

async function candidates(tool: DiscoverableTool, env: NodeJS.ProcessEnv): Promise<{ path: string; source: ToolSource }[]> {
  const list: { path: string; source: ToolSource }[] = [];
  for (const name of pathNames[tool]) {
    const onPath = await findOnPath(name, env);
    if (onPath) list.push({ path: onPath, source: 'path' });
  }
  if (tool === 'chromium') {
    const playwright = await playwrightChromium();
    if (playwright) list.push({ path: playwright, source: 'playwright' });
    list.push({ path: systemChromium, source: 'setup' });
  } else {
    list.push({ path: toolPath(tool), source: 'setup' });
  }
  return list;
}

const cache = new Map<string, Promise<DiscoveryResult>>();

/** Finds the tool (cached per process and environment variable value). */
export function discoverTool(tool: DiscoverableTool, env: NodeJS.ProcessEnv = process.env): Promise<DiscoveryResult> {
  const key = `${tool}\0${env[toolEnvironmentVariables[tool]] ?? ''}\0${env['PATH'] ?? ''}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const result = discover(tool, env);
  cache.set(key, result);
  // Only a found tool stays cached: `tokenproof setup` may install the missing one a moment later.
  result.then(
    (answer) => answer.found || cache.delete(key),
    () => cache.delete(key),
  );
  return result;
}

async function discover(tool: DiscoverableTool, env: NodeJS.ProcessEnv): Promise<DiscoveryResult> {
  const variable = toolEnvironmentVariables[tool];
  const explicit = env[variable];
  if (explicit) {
    // An explicit choice is never passed over silently: it works, or the run stops.
    if (!(await isExecutable(explicit)))
      throw new EnvironmentError(
        `${variable}=${explicit} is not an executable file`,
        `point ${variable} at a ${tool} binary, or unset it`,
      );
    const version = await reportedToolVersion(tool, explicit);
    const range = versionInRange(tool, version);
    if (!range.ok)
      throw new EnvironmentError(`${variable}=${explicit} ${range.why}`, `point ${variable} at ${range.wanted}, or unset it`);
    return { found: { tool, path: explicit, version: version!, source: 'environment' }, rejected: [] };
  }
  const rejected: DiscoveryResult['rejected'] = [];
  const seen = new Set<string>();
  for (const candidate of await candidates(tool, env)) {
    if (seen.has(candidate.path) || !(await isExecutable(candidate.path))) continue;
    seen.add(candidate.path);
    const version = await reportedToolVersion(tool, candidate.path);
    const range = versionInRange(tool, version);
    // The PATH may lead to what setup installed (/usr/bin/chromium, .tools/bin on PATH).
    const installedBySetup = candidate.path === systemChromium || (tool !== 'chromium' && candidate.path === toolPath(tool));
    const source = installedBySetup ? 'setup' : candidate.source;
    if (range.ok) return { found: { tool, path: candidate.path, source, version: version! }, rejected };
    rejected.push({ ...candidate, why: range.why });
  }
  return { rejected };
}

/**
 * The tool to run, or an EnvironmentError that says what was found and how to fix it. Under CI
 * (CI=true) as everywhere a missing tool fails the command; `optionalTool` is the one way to ask
 * without failing, and it refuses to be quiet in CI.
 */
export async function requireDiscoveredTool(
  tool: DiscoverableTool,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DiscoveredTool> {
  const { found, rejected } = await discoverTool(tool, env);
  if (found) return found;
  const seen = rejected.map((entry) => `${entry.path} ${entry.why}`).join('; ');
  throw new EnvironmentError(
    `no usable ${tool}${seen ? `: ${seen}` : ' on PATH or in .tools/bin'}`,
    `run \`tokenproof setup\`, put a supported ${tool} on PATH, or set ${toolEnvironmentVariables[tool]}`,
  );
}

/** The tool, or undefined when it is missing, except in CI (CI=true), where a missing tool must fail loudly. */
export async function optionalTool(
  tool: DiscoverableTool,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DiscoveredTool | undefined> {
  if (env['CI'] === 'true') return requireDiscoveredTool(tool, env);
  return (await discoverTool(tool, env)).found;
}

/**
 * The Chromium a browser login launches: TOKENPROOF_CHROMIUM, a Chromium on PATH, Playwright's
 * installed browser, then Debian's /usr/bin/chromium (what `tokenproof setup` installs).
 */
export async function chromiumPath(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return (await requireDiscoveredTool('chromium', env)).path;
}

/** `k6 v1.8.1 (/usr/bin/k6, from PATH)`: what a run prints about the binary it used. */
export function describeTool(found: DiscoveredTool): string {
  const from: Record<ToolSource, string> = {
    environment: `from ${toolEnvironmentVariables[found.tool]}`,
    path: 'from PATH',
    playwright: "Playwright's browser",
    setup: 'installed by tokenproof setup',
  };
  return `${found.tool} ${found.version} (${found.path}, ${from[found.source]})`;
}
