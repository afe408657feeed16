/**
 * `tokenproof chaos --gameday FILE`: one game day under load against the target (the embedded
 * reference stack without --target), judged by the resilience checks C01-C07; or, with
 * `--emit chaos-mesh`, the same timeline as Chaos Mesh manifests to run on a cluster instead.
 * The CLI parses and picks; the engine runs.
 */
import { chaosPhase } from '../engine/chaos.ts';
import { executeRun } from '../engine/run.ts';
import { writeChaosMeshManifests } from '../faults/chaos-mesh.ts';
import { loadGameday } from '../faults/gameday.ts';
import { ExitCode, UsageError } from '../lib/errors.ts';
import { loadProfile } from '../profile/load.ts';
import { standardReporters } from '../reporting/index.ts';
import { environmentOptions } from './conform.ts';

export interface ChaosOptions {
  target?: string;
  gameday: string;
  emit?: string;
  /** An existing toxiproxy's control URL (docker-compose's); default: the harness starts its own. */
  toxiproxy?: string;
  /** Where the reference stack runs without --target (`--env containers`: in Docker) and its RS replicas. */
  env?: 'embedded' | 'containers';
  rsReplicas?: number;
  out?: string;
  pushgateway?: string;
  command: string;
  version: string;
}

export async function chaos(options: ChaosOptions, print: (line: string) => void): Promise<ExitCode> {
  const environment = environmentOptions(options);
  const gameday = loadGameday(options.gameday);
  const profile = options.target ? loadProfile(options.target) : undefined;
  if (options.emit !== undefined) {
    if (options.emit !== 'chaos-mesh') throw new UsageError(`--emit '${options.emit}': only chaos-mesh is supported`);
    const written = writeChaosMeshManifests(gameday, {
      outDir: options.out ?? 'reports',
      ...(profile && { profile: profile.profile }),
    });
    for (const file of written) print(`wrote ${file}`);
    return ExitCode.ok;
  }
  const reporters = standardReporters(options.pushgateway ? { prometheus: { pushgateway: options.pushgateway } } : {});
  const outcome = await executeRun({
    command: options.command,
    version: options.version,
    ...(profile && { profile }),
    phases: [chaosPhase({ gameday, file: options.gameday })],
    reporters,
    ...(options.out && { out: options.out }),
    ...(options.toxiproxy && { chaos: { toxiproxyUrl: options.toxiproxy } }),
    environment,
    log: print,
  });
  return outcome.exitCode;
}
