/**
 * What Ryuk does for testcontainers, done here without its image (no registry can be reached to
 * pull it; TESTCONTAINERS_RYUK_DISABLED=true): every container and network a run creates carries
 * the run's labels, and everything with the run's label is removed
 *
 * - at the end of the run (stop(), in a finally),
 * - on Ctrl-C / SIGTERM and at process exit, synchronously (the run's own interrupt handler exits
 *   the process right after stopping its launched processes, so nothing asynchronous would finish),
 * - and, for a run that was SIGKILLed or lost its machine's power, by the next run on the same
 *   host: labelled resources whose owning process is gone are swept before anything starts.
 *
 * Removal goes through the docker command line by label, not through the handles testcontainers
 * returned: it also catches a container whose start failed half-way, which has no handle.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { runCommand } from '../../tools/command.ts';

export const runLabel = 'org.tokenproof.run';
export const pidLabel = 'org.tokenproof.pid';
export const hostLabel = 'org.tokenproof.host';

export function runLabels(runId: string): Record<string, string> {
  return { [runLabel]: runId, [pidLabel]: String(process.pid), [hostLabel]: hostname() };
}

export interface RunResources {
  runId: string;
  labels: Record<string, string>;
  /** Removes every container, then every network, of this run. Idempotent. */
  remove(): Promise<void>;
  /** Stops watching for signals and exit (after remove()). */
  release(): void;
}

const listTimeoutMs = 20_000;
const removeTimeoutMs = 60_000;

/** Containers and networks labelled with this run id, as the docker CLI lists them. */
export async function listRunResources(runId: string): Promise<{ containers: string[]; networks: string[] }> {
  const filter = `label=${runLabel}=${runId}`;
  const containers = await runCommand('docker', ['ps', '-aq', '--filter', filter], { timeoutMs: listTimeoutMs });
  const networks = await runCommand('docker', ['network', 'ls', '-q', '--filter', filter], { timeoutMs: listTimeoutMs });
  return { containers: lines(containers.stdout), networks: lines(networks.stdout) };
}

export function trackRunResources(runId: string): RunResources {
  const labels = runLabels(runId);
  const removeNow = () => removeRunResourcesSync(runId);
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`tokenproof: ${signal}: removing the containers and network of run ${runId}\n`);
    removeNow();
    // Alone, this handler would swallow the signal: leave as an unhandled one would.
    if (process.listenerCount(signal) === 1) process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', removeNow);
  const release = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', removeNow);
  };
  return {
    runId,
    labels,
    async remove() {
      const { containers, networks } = await listRunResources(runId);
      if (containers.length > 0) await runCommand('docker', ['rm', '-f', '-v', ...containers], { timeoutMs: removeTimeoutMs });
      if (networks.length > 0) await runCommand('docker', ['network', 'rm', ...networks], { timeoutMs: removeTimeoutMs });
    },
    release,
  };
}

/** For signal and exit handlers: blocks until docker has removed the run's containers and network. */
export function removeRunResourcesSync(runId: string): void {
  const filter = `label=${runLabel}=${runId}`;
  const list = (args: string[]) => lines(spawnSync('docker', args, { encoding: 'utf8', timeout: listTimeoutMs }).stdout ?? '');
  const containers = list(['ps', '-aq', '--filter', filter]);
  if (containers.length > 0) spawnSync('docker', ['rm', '-f', '-v', ...containers], { timeout: removeTimeoutMs });
  const networks = list(['network', 'ls', '-q', '--filter', filter]);
  if (networks.length > 0) spawnSync('docker', ['network', 'rm', ...networks], { timeout: removeTimeoutMs });
}

/**
 * Removes what earlier runs on this host left behind when they could not clean up (SIGKILL, a
 * crash of the engine connection): labelled resources whose process no longer exists. Runs of
 * live processes (another engineer's test, a `tokenproof up` in another shell) are untouched.
 */
export async function sweepOrphans(log?: (line: string) => void): Promise<string[]> {
  const format = `{{.ID}} {{.Label "${runLabel}"}} {{.Label "${pidLabel}"}} {{.Label "${hostLabel}"}}`;
  const containers = await runCommand('docker', ['ps', '-a', '--filter', `label=${runLabel}`, '--format', format], {
    timeoutMs: listTimeoutMs,
  });
  const networks = await runCommand('docker', ['network', 'ls', '--filter', `label=${runLabel}`, '--format', format], {
    timeoutMs: listTimeoutMs,
  });
  const orphanRuns = new Set<string>();
  for (const line of [...lines(containers.stdout), ...lines(networks.stdout)]) {
    const [, runId, pid, host] = line.split(' ');
    if (runId && pid && host === hostname() && !processAlive(Number(pid))) orphanRuns.add(runId);
  }
  for (const runId of orphanRuns) {
    log?.(`removing the containers and network left by run ${runId} (its process is gone)`);
    removeRunResourcesSync(runId);
  }
  return [...orphanRuns];
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}
