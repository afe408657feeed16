/**
 * Prepares the one environment a run's phases share: the target (from a profile, launched or
 * external, or the embedded reference stack), the harness test issuer when the resource server
 * trusts it, the placeholders a launched target was given, and one stop() for all of it. Used by
 * conform, run, up and, later, load and chaos, so none of them copies another.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ContainersStack, startContainers } from '../env/containers/environment.ts';
import { containersK6Runner } from '../env/containers/k6-runner.ts';
import { startEmbedded } from '../env/embedded.ts';
import type { LaunchedProcess } from '../env/launch.ts';
import { launchProfileTargets, preflight, registerProfileSecrets } from '../env/prepare.ts';
import type { ChaosEnvironment } from '../faults/chaos-environment.ts';
import { findFaketimeLibrary } from '../faults/faketime.ts';
import { profileChaosSubjects } from '../faults/profile-subjects.ts';
import { startToxiproxy, type ToxiproxyServer } from '../faults/toxiproxy.ts';
import { UsageError } from '../lib/errors.ts';
import type { Redactor } from '../lib/redactor.ts';
import type { K6Runner } from '../load/k6.ts';
import type { LoadedProfile } from '../profile/load.ts';
import type { Target } from '../runner/target.ts';
import { type RunningTestIssuer, startHarnessIssuer } from '../test-issuer/server.ts';

export type EnvironmentKind = 'embedded' | 'containers' | 'external';

export interface PreparedEnvironment {
  kind: EnvironmentKind;
  target: Target;
  testIssuer?: RunningTestIssuer;
  /** What `{{name}}` placeholders resolved to for launched targets (runDir, testIssuer.url, ...). */
  placeholders: Record<string, string>;
  /** Processes the harness started (reference servers, launched targets). */
  processes: LaunchedProcess[];
  /** Credentials of an embedded stack, for `tokenproof up` to hand to a person. */
  credentials?: Record<string, string>;
  /** The containers environment: its network, containers, toxiproxy and RS replicas. */
  containers?: ContainersStack;
  /** A chaos run: toxiproxy between each RS and its issuer, and the game-day subjects. */
  chaos?: ChaosEnvironment;
  /** Where the load phase runs k6 when not the host binary: the containers environment's k6 container. */
  k6?: K6Runner;
  stop(): Promise<void>;
}

export interface EnvironmentRequest {
  /** A loaded target profile; absent = the embedded reference stack. */
  profile?: LoadedProfile;
  /** The run's folder: logs of launched processes go to <runDir>/logs. */
  runDir: string;
  redactor: Redactor;
  log?: (line: string) => void;
  /** Where the reference stack runs when there is no profile: local processes (default) or Docker. */
  env?: 'embedded' | 'containers';
  /** containers: how many reference RSes trust the issuer (each measured by V08). */
  rsReplicas?: number;
  /** A chaos run: start toxiproxy (or use the one at toxiproxyUrl) and put it between the RSs and their issuers. */
  chaos?: { toxiproxyUrl?: string };
  /** Where the load runs k6: the host binary, or (containers only, its default) a container on the run's network. */
  k6?: 'host' | 'container';
}

export async function prepareEnvironment(request: EnvironmentRequest): Promise<PreparedEnvironment> {
  if (request.env === 'containers') return prepareContainers(request);
  if (request.k6 === 'container')
    throw new UsageError('--k6 container needs --env containers (the k6 image runs on its network)');
  const workDir = join(request.runDir, 'logs');
  const processes: LaunchedProcess[] = [];
  let testIssuer: RunningTestIssuer | undefined;
  let toxiproxy: ToxiproxyServer | undefined;
  let chaos: ChaosEnvironment | undefined;
  // The embedded stack stops itself (its processes, test issuer, temporary key folder).
  let embeddedStop: (() => Promise<void>) | undefined;
  const stop = async () => {
    // Faults first: nothing may stay broken on a shared toxiproxy, whatever else fails.
    await toxiproxy?.stop();
    if (embeddedStop) return embeddedStop();
    await chaos?.stop();
    await Promise.all(processes.map((process) => process.stop()));
    await testIssuer?.close();
  };
  try {
    if (request.chaos) {
      mkdirSync(workDir, { recursive: true });
      // The target's own toxiproxy (profile chaos.toxiproxy.url), unless --toxiproxy names another.
      const declared = request.profile?.profile.chaos?.toxiproxy;
      const url = request.chaos.toxiproxyUrl ?? declared?.url;
      toxiproxy = await startToxiproxy({
        logDir: workDir,
        ...(url && { url }),
        ...(!request.chaos.toxiproxyUrl &&
          declared && {
            unreachableFix: `start the target's stack (\`docker compose up -d\` for targets/compose.yaml), or fix chaos.toxiproxy.url in ${request.profile?.file}`,
          }),
        ...(request.log && { log: request.log }),
      });
    }
    if (request.profile) {
      const loaded = request.profile;
      const target: Target = { name: loaded.profile.name, profile: loaded.profile, baseDir: loaded.baseDir, file: loaded.file };
      registerProfileSecrets(request.redactor, loaded.profile);
      const resourceServer = loaded.profile.resourceServer;
      if (resourceServer?.trusts === 'harness') {
        // Started before the targets: a launched resource server is pointed at it.
        testIssuer = await startHarnessIssuer({
          audience: resourceServer.audience,
          ...(resourceServer.scope && { scope: resourceServer.scope }),
        });
        target.testIssuer = testIssuer;
        request.log?.(`harness test issuer at ${testIssuer.url}`);
      }
      // A chaos run hands a launched RS the proxied JWKS and discovery URLs (the issuer identifier stays).
      // A chaos run with libfaketime installed: launched targets run under it (offset 0 until a game day skews them).
      const faketime: Partial<Record<'issuer' | 'resourceServer', string>> = {};
      if (toxiproxy && findFaketimeLibrary()) {
        if (loaded.profile.issuer?.launch) faketime.issuer = join(workDir, 'issuer.faketime');
        if (loaded.profile.resourceServer?.launch) faketime.resourceServer = join(workDir, 'resourceServer.faketime');
      }
      chaos = toxiproxy ? await profileChaosSubjects(toxiproxy, target, testIssuer, faketime) : undefined;
      const proxied = (url: string) => chaos?.toxiproxy.links.get('jwks')?.proxied(url) ?? url;
      const placeholders: Record<string, string> = {
        runDir: request.runDir,
        ...(testIssuer && {
          'testIssuer.url': testIssuer.url,
          'testIssuer.jwksUri': proxied(testIssuer.jwksUri),
          'testIssuer.discoveryUri': proxied(testIssuer.discoveryUri),
        }),
      };
      processes.push(
        ...(await launchProfileTargets(loaded.profile, {
          baseDir: loaded.baseDir,
          workDir,
          placeholders,
          faketime,
          ...(request.log && { log: request.log }),
        })),
      );
      await preflight(target.profile);
      return {
        kind: 'external',
        target,
        ...(testIssuer && { testIssuer }),
        ...(chaos && { chaos }),
        placeholders,
        processes,
        stop,
      };
    }
    const stack = await startEmbedded({ workDir, ...(request.log && { log: request.log }), ...(toxiproxy && { toxiproxy }) });
    chaos = stack.chaos;
    embeddedStop = stack.stop;
    processes.push(...stack.processes);
    return {
      kind: 'embedded',
      ...(await adoptReferenceStack(request, stack)),
      processes,
      credentials: stack.credentials,
      ...(stack.chaos && { chaos: stack.chaos }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * What both reference stacks (local processes, containers) hand the run the same way: the target
 * with its test issuer, the generated secrets registered with the redactor, the placeholders,
 * and a preflight that the servers answer.
 */
async function adoptReferenceStack(
  request: EnvironmentRequest,
  stack: { profile: Target['profile']; testIssuer: RunningTestIssuer; credentials: Record<string, string> },
): Promise<Pick<PreparedEnvironment, 'target' | 'testIssuer' | 'placeholders'>> {
  const { testIssuer } = stack;
  const target: Target = { name: stack.profile.name, profile: stack.profile, baseDir: process.cwd(), testIssuer };
  registerProfileSecrets(request.redactor, stack.profile);
  for (const [name, value] of Object.entries(stack.credentials))
    if (name.startsWith('TOKENPROOF_')) request.redactor.register(value);
  await preflight(target.profile);
  return {
    target,
    testIssuer,
    placeholders: {
      runDir: request.runDir,
      'testIssuer.url': testIssuer.url,
      'testIssuer.jwksUri': testIssuer.jwksUri,
      'testIssuer.discoveryUri': testIssuer.discoveryUri,
    },
  };
}

/** The reference stack in Docker (harness/env/containers): the same profile shape as the embedded stack. */
async function prepareContainers(request: EnvironmentRequest): Promise<PreparedEnvironment> {
  if (request.profile) {
    throw new UsageError(
      '--env containers starts the reference stack in Docker; it takes no --target (a profile names its own servers)',
    );
  }
  const stack = await startContainers({
    workDir: join(request.runDir, 'logs'),
    ...(request.rsReplicas !== undefined && { rsReplicas: request.rsReplicas }),
    // A chaos run drives the stack's own toxiproxy container (request.chaos.toxiproxyUrl is for external targets).
    ...(request.chaos && { chaos: true }),
    ...(request.log && { log: request.log }),
  });
  try {
    return {
      kind: 'containers',
      ...(await adoptReferenceStack(request, stack)),
      processes: [],
      credentials: stack.credentials,
      containers: stack,
      ...(stack.chaos && { chaos: stack.chaos }),
      // k6 as a container on the run's network (default), or the host binary (--k6 host).
      ...(request.k6 !== 'host' && { k6: containersK6Runner(stack) }),
      stop: () => stack.stop(),
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}
