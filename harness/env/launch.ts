/**
 * Starts a target process from a profile's `launch` block: placeholders filled in, output
 * streamed to a per-run log file, readiness polled with a deadline, and the whole process group
 * stopped at the end (also on Ctrl-C or failure), so no orphan survives a run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { EnvironmentError } from '../lib/errors.ts';

export interface LaunchRequest {
  name: string;
  command: string[];
  env: Record<string, string>;
  cwd?: string;
  ready: string;
  readyTimeoutMs: number;
  logFile: string;
}

export interface LaunchedProcess {
  name: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

const live = new Set<LaunchedProcess>();
let exitHooksInstalled = false;

/** `{{testIssuer.url}}` → values[testIssuer.url]; an unknown placeholder is an error, not an empty string. */
export function fillPlaceholders(text: string, values: Record<string, string>, where: string): string {
  return text.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new EnvironmentError(
        `${where} uses the placeholder {{${name}}}, which this run does not provide`,
        `use one of: ${Object.keys(values).join(', ') || '(none)'}`,
      );
    }
    return value;
  });
}

export async function launch(request: LaunchRequest): Promise<LaunchedProcess> {
  installExitHooks();
  const log = createWriteStream(request.logFile, { flags: 'a' });
  const [command, ...args] = request.command as [string, ...string[]];
  const child = spawn(command, args, {
    cwd: request.cwd ? resolve(request.cwd) : process.cwd(),
    env: { ...process.env, ...request.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() reaches the children it spawns too.
    detached: true,
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const handle: LaunchedProcess = {
    name: request.name,
    pid: child.pid ?? -1,
    logFile: request.logFile,
    stop: () => stopProcess(child, exited, log, handle),
  };
  live.add(handle);
  try {
    await waitReady(request, child, () => spawnError);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}

async function waitReady(request: LaunchRequest, child: ChildProcess, spawnError: () => Error | undefined): Promise<void> {
  const deadline = performance.now() + request.readyTimeoutMs;
  let lastProblem = 'no answer yet';
  while (performance.now() < deadline) {
    const error = spawnError();
    if (error) {
      throw new EnvironmentError(
        `${request.name}: could not start '${request.command[0]}': ${error.message}`,
        'check the launch command in the profile',
      );
    }
    if (child.exitCode !== null) {
      throw new EnvironmentError(
        `${request.name} exited with code ${child.exitCode} before it was ready`,
        `read its output in ${request.logFile}`,
      );
    }
    try {
      const response = await fetch(request.ready, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (response.ok) return;
      lastProblem = `HTTP ${response.status}`;
    } catch (error) {
      lastProblem = (error as Error).cause ? String((error as { cause: unknown }).cause) : (error as Error).message;
    }
    await delay(100);
  }
  throw new EnvironmentError(
    `${request.name} was not ready at ${request.ready} within ${request.readyTimeoutMs} ms (${lastProblem})`,
    `check the process output in ${request.logFile}, or raise launch.readyTimeout`,
  );
}

async function stopProcess(
  child: ChildProcess,
  exited: Promise<number | null>,
  log: WriteStream,
  handle: LaunchedProcess,
): Promise<void> {
  live.delete(handle);
  if (child.exitCode === null && child.signalCode === null && child.pid) {
    signalGroup(child.pid, 'SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), delay(5000).then(() => false)]);
    if (!stopped) {
      signalGroup(child.pid, 'SIGKILL');
      await exited;
    }
  }
  await new Promise<void>((done) => log.end(done));
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** A run interrupted by Ctrl-C or a crash still takes its launched processes down with it. */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.once('exit', () => {
    for (const handle of live) signalGroup(handle.pid, 'SIGKILL');
  });
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((handle) => handle.stop()));
}

/** Runs `work`; a Ctrl-C meanwhile stops every launched process before tokenproof exits (130). */
export async function stopLaunchedOnInterrupt<T>(work: () => Promise<T>): Promise<T> {
  const interrupted = () => {
    process.stderr.write('tokenproof: interrupted, stopping launched processes\n');
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    return await work();
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}
