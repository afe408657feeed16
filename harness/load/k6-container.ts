/**
 * k6 as a container on the containers environment's network (DESIGN.md "Environments"): the
 * same scenario run as the host binary (k6.ts `K6Runner`), through `docker run` of the k6 image.
 *
 * - Files: the load's work folder (config, token pool, summary, CSV samples) and scenarios/ are
 *   bind-mounted at their host paths, the work folder read-write and scenarios/ read-only, so
 *   every path in the script's config means the same file on both sides and the host reads the
 *   CSV samples (the progress line, the game day's start) while k6 writes them.
 * - User: the image runs as uid 10001 and has no shell. A non-root harness runs the container as
 *   its own uid:gid (the files stay owner-only and its own); a root harness runs it as 10001 and
 *   hands the work folder to 10001 first (root reads everything back). Never as root.
 * - URLs: inside the network the targets are the containers' names and ports, not the published
 *   127.0.0.1 ports. `reach()` rewrites the published origins the environment lists; a loopback
 *   URL it does not know cannot be reached from a container and is an error, not a silent 100 %
 *   of connection failures. The issuer identifier stays the published URL: tokens' `iss` is what
 *   the issuer was configured with, whatever address the request came to.
 * - Lifetime: the container carries the run's labels (harness/env/containers/run-resources.ts),
 *   `--rm`, and a `docker rm -f` in a finally; the caller's abort sends k6 one SIGINT (`docker
 *   kill --signal INT`: it stops its VUs and still writes the summary); the run's own Ctrl-C and
 *   exit handlers, and the next run's orphan sweep, remove it by label whatever happened here.
 * - Exit codes: `docker run` passes k6's through (0 ok, 99 thresholds crossed); 125-127 are
 *   docker's own (no such network or image, the entrypoint would not start).
 */
import { chownSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '../lib/errors.ts';
import { runCommand } from '../tools/command.ts';
import { type K6Invocation, type K6Runner, k6Message, k6RunArgs, readK6Result, runK6Process } from './k6.ts';

/** The unprivileged user of the tokenproof images (harness/env/containers/rootfs.ts imageUser). */
export const k6ImageUid = 10001;

export interface K6ContainerOptions {
  image: { ref: string; origin: 'public' | 'local' };
  /** The run's Docker network (its containers' names resolve there). */
  network: string;
  /** The run's labels: the environment's clean-up removes everything carrying them. */
  labels: Record<string, string>;
  /** Container names are `<namePrefix>-k6-<n>`. */
  namePrefix: string;
  /**
   * Published origin (http://127.0.0.1:<port>) → the same server on the network
   * (http://<name>:<port>), as of now: asked before each run, so a container a game day started
   * on first use (its own resource server) is reached too.
   */
  origins(): Promise<Record<string, string>>;
}

export interface DockerRunSpec {
  name: string;
  image: string;
  network: string;
  labels: Record<string, string>;
  /** uid:gid */
  user: string;
  /** Bind mounts at the same path inside. */
  mounts: { path: string; readOnly: boolean }[];
  /** Passed as `-e NAME`: docker takes the value from its own environment, so none shows in argv. */
  envNames: string[];
  /** What follows the image: k6's arguments (the image's entrypoint is k6). */
  k6Args: string[];
}

/** `docker run`'s argv for one k6 run (pure, so a unit test reads it). */
export function dockerRunArgs(spec: DockerRunSpec): string[] {
  return [
    'run',
    '--rm',
    '--name',
    spec.name,
    '--network',
    spec.network,
    '--user',
    spec.user,
    ...Object.entries(spec.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    // k6 needs no privilege: an HTTP client writing files into its mounts.
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    ...spec.mounts.flatMap((mount) => ['--volume', `${mount.path}:${mount.path}${mount.readOnly ? ':ro' : ''}`]),
    ...spec.envNames.flatMap((name) => ['--env', name]),
    spec.image,
    ...spec.k6Args,
  ];
}

/** Who k6 runs as in the container, and to whom the writable folders are handed first (root only). */
export function containerUser(uid: number, gid: number): { user: string; handOverTo?: { uid: number; gid: number } } {
  if (uid !== 0) return { user: `${uid}:${gid}` };
  return { user: `${k6ImageUid}:${k6ImageUid}`, handOverTo: { uid: k6ImageUid, gid: k6ImageUid } };
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The `reach()` of a container runner: published origins → network origins; unknown loopback URLs refused. */
export function networkReach(origins: Record<string, string>): (url: string) => string {
  const table = new Map(
    Object.entries(origins).map(([published, inside]) => [new URL(published).origin, new URL(inside).origin]),
  );
  return (url) => {
    const parsed = new URL(url);
    const inside = table.get(parsed.origin);
    if (inside) return `${inside}${parsed.pathname}${parsed.search}${parsed.hash}`;
    if (loopbackHosts.has(parsed.hostname))
      throw new EnvironmentError(
        `k6 runs in a container on the run's network, and ${parsed.origin} is this host's loopback, which no container of this run publishes (${[...table.keys()].join(', ')})`,
        'run k6 on the host instead (--k6 host), or give a URL the containers can reach',
      );
    return url;
  };
}

/** Hands a flat folder and its files to uid:gid (a root harness, so the uid 10001 k6 can use them). */
function handOver(dir: string, owner: { uid: number; gid: number }): void {
  chownSync(dir, owner.uid, owner.gid);
  for (const name of readdirSync(dir)) chownSync(join(dir, name), owner.uid, owner.gid);
}

let containerCounter = 0;

export function containerK6Runner(options: K6ContainerOptions): K6Runner {
  return {
    placement: { where: 'container', image: options.image.ref, origin: options.image.origin, network: options.network },
    description: `the k6 image ${options.image.ref} (${options.image.origin === 'public' ? 'public image' : 'built locally'}) in a container on the network ${options.network}`,
    locate: async () => networkReach(await options.origins()),
    async run(invocation: K6Invocation & { shareDirs: { readOnly: string[]; readWrite: string[] } }) {
      const name = `${options.namePrefix}-k6-${++containerCounter}`;
      const who = containerUser(process.getuid?.() ?? 0, process.getgid?.() ?? 0);
      if (who.handOverTo) for (const dir of invocation.shareDirs.readWrite) handOver(dir, who.handOverTo);
      const env = { ...invocation.env, K6_NO_COLOR: 'true' };
      const args = dockerRunArgs({
        name,
        image: options.image.ref,
        network: options.network,
        labels: options.labels,
        user: who.user,
        mounts: [
          ...invocation.shareDirs.readWrite.map((path) => ({ path, readOnly: false })),
          ...invocation.shareDirs.readOnly.map((path) => ({ path, readOnly: true })),
        ],
        envNames: Object.keys(env),
        k6Args: k6RunArgs(invocation),
      });
      let exitCode: number;
      try {
        exitCode = await runK6Process(invocation, {
          command: 'docker',
          args,
          env: { ...process.env, ...env },
          // One SIGINT to k6 itself: a second one (the CLI's signal proxy as well) would skip the summary.
          stop: () => void runCommand('docker', ['kill', '--signal', 'INT', name], { timeoutMs: 30_000 }),
          startFailure: (message) =>
            new EnvironmentError(`could not run docker for the k6 container: ${message}`, 'run `tokenproof setup --containers`'),
          exitFailure: (code, tail) =>
            typeof code === 'number' && code >= 125 && code <= 127
              ? new EnvironmentError(
                  `docker could not run the k6 container ${name} (${options.image.ref}): ${k6Message(tail)}`,
                  'run `tokenproof setup --containers` (it builds the k6 image), or run k6 on the host with --k6 host',
                )
              : new EnvironmentError(
                  `k6 (in the container ${name}) exited with ${code}: ${k6Message(tail)}`,
                  `run the scenario on the host to see all of k6's output: --k6 host, or k6 run ${invocation.script}`,
                ),
        });
      } finally {
        // --rm removes it when docker run sees the exit; this covers a docker CLI that did not.
        await runCommand('docker', ['rm', '--force', '--volumes', name], { timeoutMs: 60_000 });
      }
      return readK6Result(invocation.summaryFile, exitCode);
    },
  };
}
