/**
 * `tokenproof chaos --gameday FILE`: one game day under load against the target (the embedded
 * reference stack without --target), judged by the resilience checks C01-C07; or, with
 * `--emit chaos-mesh`, the same timeline as Chaos Mesh manifests to run on a cluster instead.
 * The CLI parses and picks; the engine runs.
 */
import { chaosPhase } from '../engine/chaos.ts';
import { executeRun } from '../engine/run.ts';
import { writeChaosMeshManifests } from '../faults/chaos-mesh.ts';
import { type Gameday, gamedayDurationMs, loadGameday } from '../faults/gameday.ts';
import { ExitCode, UsageError } from '../lib/errors.ts';
import { k6OperatorManifests } from '../load/k6-operator.ts';
import { type Operation, scenarioByName } from '../load/scenarios.ts';
import { availableOperations, describeLoadTarget } from '../load/target-endpoints.ts';
import { loadProfile } from '../profile/load.ts';
import type { Profile } from '../profile/schema.ts';
import { standardReporters } from '../reporting/index.ts';
import { environmentOptions } from './conform.ts';

export interface ChaosOptions {
  target?: string;
  gameday: string;
  emit?: string;
  /** An existing toxiproxy's control URL; default: the profile's chaos.toxiproxy.url, else the harness starts its own. */
  toxiproxy?: string;
  /** Where the reference stack runs without --target (`--env containers`: in Docker) and its RS replicas. */
  env?: 'embedded' | 'containers';
  rsReplicas?: number;
  /** Where k6 runs: the host binary, or a container on the run's network (the default under --env containers). */
  k6?: 'host' | 'container';
  /** --emit chaos-mesh: where the load's k6 runners remote-write their samples. */
  prometheusRw?: string;
  out?: string;
  pushgateway?: string;
  command: string;
  version: string;
}

const defaultRemoteWrite = 'http://prometheus.monitoring.svc:9090/api/v1/write';

/** The game day's load as the load phase's k6-operator emitter writes it, for as long as the timeline. */
async function loadManifests(gameday: Gameday, profile: Profile, prometheusRemoteWrite: string): Promise<string> {
  const scenario = scenarioByName(gameday.load.scenario);
  const target = await describeLoadTarget(profile);
  const available = availableOperations(target);
  const operations = (Object.keys(scenario.weights) as Operation[]).filter((operation) => available.has(operation));
  if (operations.length === 0)
    throw new UsageError(`the ${scenario.name} scenario of the ${gameday.name} game day cannot run against ${profile.name}`);
  const { yaml } = await k6OperatorManifests({
    scenario,
    profile,
    target,
    operations,
    rate: gameday.load.rate,
    durationMs: gamedayDurationMs(gameday),
    parallelism: 1,
    poolSize: gameday.load.poolSize,
    prometheusRemoteWrite,
    name: `tokenproof-${gameday.name}-load`.slice(0, 63),
  });
  return yaml;
}

export async function chaos(options: ChaosOptions, print: (line: string) => void): Promise<ExitCode> {
  const environment = environmentOptions(options);
  const gameday = loadGameday(options.gameday);
  const profile = options.target ? loadProfile(options.target) : undefined;
  if (options.emit !== undefined) {
    if (options.emit !== 'chaos-mesh') throw new UsageError(`--emit '${options.emit}': only chaos-mesh is supported`);
    if (!profile)
      throw new UsageError(
        "--emit chaos-mesh describes a game day on a cluster: pass --target FILE naming the cluster's issuer and resource server (read from discovery now, as load --emit k6-operator does)",
      );
    const written = writeChaosMeshManifests(gameday, {
      outDir: options.out ?? 'reports',
      loadManifests: await loadManifests(gameday, profile.profile, options.prometheusRw ?? defaultRemoteWrite),
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
