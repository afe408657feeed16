/**
 * The Docker engine and Compose, as the containers environment needs them. Everything goes
 * through the `docker` and Compose command lines rather than the engine API: they are what a
 * person debugging a failed build runs by hand, and their error text is what we pass on.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EnvironmentError } from '../../lib/errors.ts';
import { aptGetInstall, aptInstallFix, isRoot } from '../../tools/apt.ts';
import { runCommand, tail } from '../../tools/command.ts';
import { findOnPath, toolsDir } from '../../tools/paths.ts';

export interface EngineOptions {
  /** How long a dockerd started here may take to answer. */
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface Engine {
  /** The engine's version (`docker info`'s ServerVersion). */
  serverVersion: string;
  /** True when this call started dockerd. */
  started: boolean;
}

/** Where a dockerd started by tokenproof writes its log (.tools is git-ignored). */
export const dockerdLogFile = join(toolsDir, 'dockerd.log');

/**
 * Makes sure a Docker engine answers. When none does and we are root with dockerd installed
 * (a CI container, a fresh VM), it starts dockerd in the background, logging to
 * .tools/dockerd.log, and waits for it with a deadline; the engine keeps running after
 * tokenproof exits, as a system service would. Anything else is an EnvironmentError that
 * says what to install or start.
 */
export async function ensureDockerEngine(options: EngineOptions = {}): Promise<Engine> {
  if ((await findOnPath('docker')) === undefined) {
    throw new EnvironmentError(
      'the docker command line is not installed',
      `${aptInstallFix(['docker.io'])} (Debian's Docker engine and CLI), then rerun`,
    );
  }
  const first = await dockerInfo();
  if (first.ok) return { serverVersion: first.serverVersion, started: false };
  if (/permission denied/i.test(first.error)) {
    throw new EnvironmentError(
      `the Docker engine refused this user: ${firstLine(first.error)}`,
      'run as root, or add this user to the docker group (`sudo usermod -aG docker $USER`, then log in again)',
    );
  }

  const dockerHost = process.env['DOCKER_HOST'];
  if (dockerHost !== undefined && dockerHost !== '' && dockerHost !== 'unix:///var/run/docker.sock') {
    // A dockerd started here would listen on the default socket, not where the CLI is pointed.
    throw new EnvironmentError(
      `no Docker engine answers at DOCKER_HOST=${dockerHost}: ${firstLine(first.error)}`,
      'start the engine DOCKER_HOST points at, or unset DOCKER_HOST to use the local one',
    );
  }
  let dockerd = await findDockerd();
  if (dockerd === undefined && isRoot() && (await findOnPath('apt-get')) !== undefined) {
    // A machine may have the docker CLI without an engine: Debian's docker.io brings dockerd.
    options.log?.('installing docker.io (the Docker engine) with apt-get');
    await aptGetInstall(['docker.io']);
    dockerd = await findDockerd();
  }
  if (!isRoot() || dockerd === undefined) {
    throw new EnvironmentError(
      `no Docker engine answers: ${firstLine(first.error)}`,
      dockerd === undefined
        ? `${aptInstallFix(['docker.io'])}, then start the engine (\`sudo systemctl start docker\`, or \`sudo dockerd &\` where there is no systemd)`
        : 'start the engine: `sudo systemctl start docker` (or `sudo dockerd &` where there is no systemd)',
    );
  }
  return startDockerd(dockerd, options);
}

async function startDockerd(dockerd: string, options: EngineOptions): Promise<Engine> {
  const deadlineMs = options.startTimeoutMs ?? 60_000;
  options.log?.(`no Docker engine answers; starting ${dockerd} (log: ${dockerdLogFile})`);
  await mkdir(toolsDir, { recursive: true });
  const logFd = openSync(dockerdLogFile, 'a');
  let exit: string | undefined;
  try {
    // The log is appended to across starts; the marker shows where this one begins.
    writeSync(logFd, `--- tokenproof started ${dockerd} at ${new Date().toISOString()} ---\n`);
    // Detached and unreferenced: the engine outlives this process, like a system service.
    const child = spawn(dockerd, [], { detached: true, stdio: ['ignore', logFd, logFd] });
    child.once('error', (error) => {
      exit = error.message;
    });
    child.once('exit', (code, signal) => {
      exit = `exited with ${signal ?? `code ${code}`}`;
    });
    child.unref();
  } finally {
    closeSync(logFd);
  }

  const started = performance.now();
  let last = '';
  while (performance.now() - started < deadlineMs) {
    const info = await dockerInfo();
    if (info.ok) {
      options.log?.(`Docker engine ${info.serverVersion} is up (${Math.round(performance.now() - started)} ms)`);
      return { serverVersion: info.serverVersion, started: true };
    }
    last = info.error;
    if (exit !== undefined) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const logTail = await readFile(dockerdLogFile, 'utf8').catch(() => '');
  throw new EnvironmentError(
    exit !== undefined
      ? `dockerd ${exit} before it answered:\n${tail(logTail)}`
      : `dockerd did not answer within ${deadlineMs / 1000} s (last: ${firstLine(last)}):\n${tail(logTail)}`,
    `read ${dockerdLogFile}; dockerd needs root, cgroups and a storage driver that works here (e.g. \`dockerd --storage-driver=vfs\` inside another container)`,
  );
}

async function dockerInfo(): Promise<{ ok: true; serverVersion: string } | { ok: false; error: string }> {
  const result = await runCommand('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
  const serverVersion = result.stdout.trim();
  // `docker info` exits 0 with an empty ServerVersion on some client versions when the engine is down.
  if (result.ok && serverVersion !== '') return { ok: true, serverVersion };
  return { ok: false, error: result.stderr.trim() || result.stdout.trim() || `docker info exited with ${result.code}` };
}

async function findDockerd(): Promise<string | undefined> {
  // root's PATH in a container often lacks the sbin directories where Debian puts dockerd.
  return (await findOnPath('dockerd')) ?? (await firstExecutable(['/usr/sbin/dockerd', '/usr/bin/dockerd']));
}

async function firstExecutable(paths: string[]): Promise<string | undefined> {
  for (const path of paths) {
    const result = await runCommand(path, ['--version'], { timeoutMs: 10_000 });
    if (result.ok) return path;
  }
  return undefined;
}

export interface Compose {
  /** The command and leading arguments: `['docker', 'compose']` or `['/usr/bin/docker-compose']`. */
  command: readonly string[];
  version: string;
}

/**
 * Finds Compose: the v2 plugin (`docker compose`) if present, else the standalone
 * `docker-compose` (Debian ships v1, 1.29). When neither is there and we are root with
 * apt-get, installs Debian's docker-compose, as `tokenproof setup` does for its apt packages.
 */
export async function ensureDockerCompose(options: { log?: (line: string) => void } = {}): Promise<Compose> {
  const found = await findCompose();
  if (found) return found;
  const aptGet = await findOnPath('apt-get');
  if (!isRoot() || aptGet === undefined) {
    throw new EnvironmentError('neither `docker compose` nor `docker-compose` is installed', aptInstallFix(['docker-compose']));
  }
  options.log?.('installing docker-compose with apt-get');
  await aptGetInstall(['docker-compose']);
  const installed = await findCompose();
  if (!installed) {
    throw new EnvironmentError(
      'apt-get installed docker-compose but `docker-compose version` still fails',
      'run `docker-compose version` to see why',
    );
  }
  options.log?.(`installed docker-compose ${installed.version}`);
  return installed;
}

async function findCompose(): Promise<Compose | undefined> {
  const plugin = await runCommand('docker', ['compose', 'version', '--short'], { timeoutMs: 20_000 });
  if (plugin.ok) return { command: ['docker', 'compose'], version: plugin.stdout.trim() };
  const standalone = await findOnPath('docker-compose');
  if (standalone === undefined) return undefined;
  const result = await runCommand(standalone, ['version', '--short'], { timeoutMs: 20_000 });
  return result.ok ? { command: [standalone], version: result.stdout.trim() } : undefined;
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? text;
}
