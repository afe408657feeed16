/**
 * `tokenproof setup`: install or verify the external tools (k6, toxiproxy, Chromium,
 * faketime). It inspects first, decides with a pure function (planSetup), refuses up front
 * when something cannot be fixed, and only then installs, so a user learns every missing
 * prerequisite at once instead of one per multi-minute run.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { EnvironmentError } from '../lib/errors.ts';
import { aptGetInstall } from './apt.ts';
import { type RunOptions, runCommand, tail } from './command.ts';
import { type DiscoveredTool, discoverTool, type ToolSource } from './discover.ts';
import { findOnPath, findTool, repoRoot, toolPath, toolsBinDir, toolsDir } from './paths.ts';
import {
  type GoToolName,
  type GoToolPin,
  goToolNames,
  goTools,
  goVersionAtLeast,
  minimumGoVersion,
  parseGoVersion,
  parseToolVersion,
  type SystemToolName,
  systemToolNames,
  systemTools,
  type ToolName,
} from './versions.ts';

export interface SetupOptions {
  /** Silence progress and the "all present" line. What setup changed is still reported. */
  quiet?: boolean;
  log?: (line: string) => void;
}

export interface ToolReport {
  tool: ToolName;
  version: string;
  action: 'present' | 'installed';
  path: string;
  /** Where a k6, toxiproxy or Chromium that runs will use comes from (tool discovery). */
  source?: ToolSource;
}

export interface SetupReport {
  tools: ToolReport[];
  durationMs: number;
}

/** What is on this machine now. */
export interface Inspection {
  /** The version each Go tool in .tools/bin reports; undefined when it is absent or does not run. */
  goTools: Record<GoToolName, string | undefined>;
  /** The version each system tool reports ('unknown' if unreadable); undefined when absent. */
  systemTools: Record<SystemToolName, string | undefined>;
  /** The output of `go version`; undefined when there is no `go` on PATH. */
  goVersion: string | undefined;
  isRoot: boolean;
  hasAptGet: boolean;
  /**
   * A supported binary found outside what setup installs (TOKENPROOF_K6 and friends, the PATH,
   * Playwright's Chromium): setup leaves that tool alone, since runs will use the user's own.
   */
  usable?: Partial<Record<'k6' | 'toxiproxy' | 'chromium', DiscoveredTool>>;
}

export interface SetupPlan {
  goInstalls: GoToolName[];
  aptPackages: string[];
  /** What cannot be fixed from here. Non-empty means setup must stop before changing anything. */
  problems: { problem: string; fix: string }[];
}

export interface SetupOutput {
  progress: (line: string) => void;
  done: (line: string) => void;
}

const _execFileAsync = promisify(execFile);
const binDirForDisplay = relative(repoRoot, toolsBinDir);
const progressIntervalMs = 30_000;

export async function runSetup(options: SetupOptions = {}): Promise<SetupReport> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const out: SetupOutput = { progress: options.quiet ? () => {} : log, done: log };

  const found = await inspect();
  const plan = planSetup(found);
  // There is no "skip this tool" path anywhere, so under CI=true (as everywhere) a tool
  // that cannot be installed ends the run here with exit code 3.
  if (plan.problems.length > 0) {
    throw new EnvironmentError(plan.problems.map((p) => p.problem).join('; '), plan.problems.map((p) => p.fix).join('; '));
  }

  const installed = new Map<ToolName, ToolReport>();
  if (plan.aptPackages.length > 0) {
    for (const report of await aptInstall(plan.aptPackages, out)) installed.set(report.tool, report);
  }
  // One at a time: a k6 build already keeps two cores busy for minutes.
  for (const tool of plan.goInstalls) {
    const reported = found.goTools[tool];
    if (reported !== undefined) {
      out.progress(`${tool} in ${binDirForDisplay} reports ${reported}, not the pinned ${goTools[tool].version}`);
    }
    installed.set(tool, await installGoTool(tool, out));
  }

  const tools: ToolReport[] = [];
  for (const tool of goToolNames) {
    const own = found.usable?.[tool];
    tools.push(
      installed.get(tool) ??
        (own ? present(tool, own.version, own.path, own.source) : present(tool, goTools[tool].version, toolPath(tool), 'setup')),
    );
  }
  for (const tool of systemToolNames) {
    const own = tool === 'chromium' ? found.usable?.chromium : undefined;
    const path = own?.path ?? (await findTool(tool)) ?? '';
    tools.push(installed.get(tool) ?? present(tool, own?.version ?? found.systemTools[tool] ?? 'unknown', path, own?.source));
  }
  if (installed.size === 0) {
    // Which binary each run will use: the user's own when discovery found one.
    out.progress(
      `tools ready: ${tools.map((t) => `${t.tool} ${t.version}${t.source && t.source !== 'setup' ? ` (${t.path}, ${t.source === 'playwright' ? "Playwright's" : `from ${t.source === 'path' ? 'PATH' : t.source}`})` : ''}`).join(', ')}`,
    );
  }
  return { tools, durationMs: performance.now() - started };
}

export function planSetup(found: Inspection): SetupPlan {
  const goInstalls = goToolNames.filter((tool) => !found.usable?.[tool] && found.goTools[tool] !== goTools[tool].version);
  const aptPackages = systemToolNames
    .filter((tool) => found.systemTools[tool] === undefined && !(tool === 'chromium' && found.usable?.chromium))
    .map((tool) => systemTools[tool].aptPackage);
  const problems: SetupPlan['problems'] = [];

  if (goInstalls.length > 0) {
    const go = found.goVersion === undefined ? undefined : parseGoVersion(found.goVersion);
    if (go === undefined || !goVersionAtLeast(go, minimumGoVersion)) {
      const have = go === undefined ? 'there is no `go` on PATH' : `found ${found.goVersion?.trim()}`;
      problems.push({
        problem: `${goInstalls.join(' and ')} must be built with Go ${minimumGoVersion} or newer, but ${have}`,
        fix: `install Go ${minimumGoVersion} or newer (https://go.dev/dl/), put \`go\` on PATH, and rerun \`tokenproof setup\``,
      });
    }
  }

  if (aptPackages.length > 0 && !(found.isRoot && found.hasAptGet)) {
    const packages = aptPackages.join(' ');
    problems.push({
      problem: `missing ${aptPackages.join(' and ')}, and ${found.hasAptGet ? 'not running as root, so cannot install them' : 'apt-get is not available'}`,
      fix: found.hasAptGet
        ? `sudo sh -c 'apt-get update && apt-get install -y ${packages}'`
        : `install the packages ${packages} (Debian names) with your system package manager`,
    });
  }

  return { goInstalls, aptPackages, problems };
}

/**
 * Builds into a staging folder inside .tools (same filesystem, so the final rename is
 * atomic) and moves the binary into .tools/bin only once it reports the pinned version:
 * a failed or interrupted build never leaves a broken tool where other code looks for it.
 */
export async function installGoTool(tool: GoToolName, out: SetupOutput, pin: GoToolPin = goTools[tool]): Promise<ToolReport> {
  await mkdir(toolsBinDir, { recursive: true });
  const stagingDir = await mkdtemp(join(toolsDir, 'staging-'));
  try {
    const started = performance.now();
    out.progress(`installing ${tool} ${pin.version} with go install (can take minutes)`);
    const ticker = setInterval(
      () => out.progress(`  still building ${tool} (${formatElapsed(performance.now() - started)})`),
      progressIntervalMs,
    );
    // The caller's environment passes through untouched so Go's module and build caches
    // are reused: a rebuild after a pin bump only compiles what changed.
    const result = await run('go', ['install', ...pin.installFlags, `${pin.package}@${pin.version}`], {
      env: { ...process.env, GOBIN: stagingDir },
      timeoutMs: 30 * 60_000,
    }).finally(() => clearInterval(ticker));
    if (!result.ok) {
      throw new EnvironmentError(
        `go install ${pin.package}@${pin.version} failed:\n${tail(result.output)}`,
        'check that the Go module proxy is reachable (`go env GOPROXY`) and rerun `tokenproof setup`',
      );
    }

    const built = join(stagingDir, pin.builtBinary);
    const version = await reportedVersion(tool, built);
    if (version !== pin.version) {
      throw new EnvironmentError(
        `go install built ${tool} but it reports ${version ?? 'no version'} instead of ${pin.version}`,
        `report this: the version check for ${tool} in harness/tools/versions.ts no longer matches its output`,
      );
    }
    await rename(built, toolPath(tool));
    out.done(`installed ${tool} ${pin.version} into ${binDirForDisplay} (${formatElapsed(performance.now() - started)})`);
    return { tool, version: pin.version, action: 'installed', path: toolPath(tool) };
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
  }
}

async function aptInstall(packages: string[], out: SetupOutput): Promise<ToolReport[]> {
  const started = performance.now();
  out.progress(`installing ${packages.join(' ')} with apt-get`);
  await aptGetInstall(packages);

  const reports: ToolReport[] = [];
  for (const tool of systemToolNames.filter((t) => packages.includes(systemTools[t].aptPackage))) {
    const path = await findTool(tool);
    if (path === undefined) {
      throw new EnvironmentError(
        `apt-get installed ${systemTools[tool].aptPackage} but ${tool} is still not found`,
        'check that the package provides /usr/bin/chromium and a faketime on PATH (Debian does)',
      );
    }
    const version = (await reportedVersion(tool, path)) ?? 'unknown';
    out.done(`installed ${tool} ${version} with apt-get (${formatElapsed(performance.now() - started)})`);
    reports.push({ tool, version, action: 'installed', path });
  }
  return reports;
}

async function inspect(): Promise<Inspection> {
  const versionAt = async (tool: ToolName) => {
    const path = await findTool(tool);
    return path === undefined ? undefined : ((await reportedVersion(tool, path)) ?? 'unknown');
  };
  const [k6, toxiproxy, chromium, faketime, xmllint, go, aptGet] = await Promise.all([
    versionAt('k6'),
    versionAt('toxiproxy'),
    versionAt('chromium'),
    versionAt('faketime'),
    versionAt('xmllint'),
    run('go', ['version'], { timeoutMs: 30_000 }),
    findOnPath('apt-get'),
  ]);
  const usable: NonNullable<Inspection['usable']> = {};
  for (const tool of ['k6', 'toxiproxy', 'chromium'] as const) {
    const discovered = await discoverTool(tool).catch(() => undefined);
    if (discovered?.found && discovered.found.source !== 'setup') usable[tool] = discovered.found;
  }
  return {
    usable,
    goTools: { k6, toxiproxy },
    systemTools: { chromium, faketime, xmllint },
    goVersion: go.ok ? go.output : undefined,
    isRoot: process.getuid?.() === 0,
    hasAptGet: aptGet !== undefined,
  };
}

async function reportedVersion(tool: ToolName, path: string): Promise<string | undefined> {
  const args = tool === 'k6' || tool === 'toxiproxy' ? goTools[tool].versionArgs : systemTools[tool].versionArgs;
  const result = await run(path, args, { timeoutMs: 30_000 });
  return result.ok ? parseToolVersion(tool, result.output) : undefined;
}

async function run(command: string, args: readonly string[], options: RunOptions): Promise<{ ok: boolean; output: string }> {
  const result = await runCommand(command, args, options);
  return { ok: result.ok, output: `${result.stdout}${result.stderr}` };
}

function present(tool: ToolName, version: string, path: string, source?: ToolSource): ToolReport {
  return { tool, version, action: 'present', path, ...(source && { source }) };
}

/** `3m12s`, `45s`: install times are minutes, so milliseconds would be noise. */
export function formatElapsed(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}
