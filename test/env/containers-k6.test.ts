/**
 * k6 in a container (harness/load/k6-container.ts, harness/env/containers/k6-runner.ts):
 * - the `docker run` argv (mounts at the host paths, the run's network, the user, the run's
 *   labels, environment by name only), who the container runs as, and the URL rewriting from
 *   published 127.0.0.1 origins to the containers' network names;
 * - the real k6 image on a network of the test's own: Ctrl-C (the abort) stops k6 with one SIGINT
 *   and the container is gone afterwards;
 * - `tokenproof load --env containers`: k6 ran as a container on the run's network (docker events
 *   and the report say so), an impossible SLO exits 1 naming it, nothing with the run's label
 *   remains.
 * Outside CI a machine without Docker skips the Docker parts; under CI=true they fail loudly.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { routeIssuerTraffic } from '../../harness/engine/chaos.ts';
import { imagePresent, publicImageRefs } from '../../harness/env/containers/image-choice.ts';
import { imageRefs, packageVersion } from '../../harness/env/containers/images.ts';
import { publishedOrigins } from '../../harness/env/containers/k6-runner.ts';
import { listRunResources, runLabel, runLabels } from '../../harness/env/containers/run-resources.ts';
import type { FaultLink } from '../../harness/faults/toxiproxy.ts';
import { EnvironmentError } from '../../harness/lib/errors.ts';
import { pollUntil } from '../../harness/lib/poll.ts';
import { containerK6Runner, containerUser, dockerRunArgs, k6ImageUid, networkReach } from '../../harness/load/k6-container.ts';
import type { LoadTarget } from '../../harness/load/target-endpoints.ts';
import type { RunResult } from '../../harness/results/model.ts';
import { runCli } from '../support/cli.ts';

const hasDocker = process.env['CI'] === 'true' || spawnSync('docker', ['--version']).status === 0;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

function docker(args: string[]): string {
  const result = spawnSync('docker', args, { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

describe('docker run for k6', () => {
  it('mounts the files at their host paths, joins the run network as the given user, carries the run labels, and passes the environment by name', () => {
    const labels = runLabels('abcd1234');
    const args = dockerRunArgs({
      name: 'tokenproof-abcd1234-k6-1',
      image: 'tokenproof/k6:1.8.1',
      network: 'tokenproof-abcd1234',
      labels,
      user: '10001:10001',
      mounts: [
        { path: '/tmp/tokenproof-load-x', readOnly: false },
        { path: '/repo/scenarios', readOnly: true },
      ],
      envNames: ['TOKENPROOF_LOAD_CONFIG', 'K6_CSV_SAVE_INTERVAL'],
      k6Args: ['run', '--quiet', '/repo/scenarios/validation.ts'],
    });
    const valuesOf = (flag: string) => args.flatMap((arg, index) => (arg === flag ? [args[index + 1]] : []));
    expect(args.slice(0, 2)).toEqual(['run', '--rm']);
    expect(valuesOf('--name')).toEqual(['tokenproof-abcd1234-k6-1']);
    expect(valuesOf('--network')).toEqual(['tokenproof-abcd1234']);
    expect(valuesOf('--user')).toEqual(['10001:10001']);
    expect(valuesOf('--label')).toEqual(Object.entries(labels).map(([key, value]) => `${key}=${value}`));
    expect(valuesOf('--label')).toContain(`${runLabel}=abcd1234`);
    expect(valuesOf('--volume')).toEqual(['/tmp/tokenproof-load-x:/tmp/tokenproof-load-x', '/repo/scenarios:/repo/scenarios:ro']);
    // Names only: docker takes the values from its own environment, so no value shows in a process list.
    expect(valuesOf('--env')).toEqual(['TOKENPROOF_LOAD_CONFIG', 'K6_CSV_SAVE_INTERVAL']);
    expect(args).toContain('--cap-drop');
    // The image, then k6's own arguments (the image's entrypoint is k6).
    expect(args.slice(args.indexOf('tokenproof/k6:1.8.1'))).toEqual([
      'tokenproof/k6:1.8.1',
      'run',
      '--quiet',
      '/repo/scenarios/validation.ts',
    ]);
  });

  it('runs as the harness user, or, for a root harness, as the image user 10001 after handing it the folder: never as root', () => {
    expect(containerUser(1000, 1001)).toEqual({ user: '1000:1001' });
    expect(containerUser(0, 0)).toEqual({
      user: `${k6ImageUid}:${k6ImageUid}`,
      handOverTo: { uid: k6ImageUid, gid: k6ImageUid },
    });
  });
});

describe('URLs as k6 reaches them from the network', () => {
  const reach = networkReach({
    'http://127.0.0.1:40001': 'http://tokenproof-abcd1234-issuer:9400',
    'http://127.0.0.1:40002': 'http://tokenproof-abcd1234-rs-forged:9500',
    'http://127.0.0.1:40003': 'http://tokenproof-abcd1234-toxiproxy:9404',
  });

  it('turns the published origins into the containers names, keeps path and query, leaves network URLs alone', () => {
    expect(reach('http://127.0.0.1:40001/token')).toBe('http://tokenproof-abcd1234-issuer:9400/token');
    expect(reach('http://127.0.0.1:40002/protected?x=1')).toBe('http://tokenproof-abcd1234-rs-forged:9500/protected?x=1');
    // The harness test issuer on the gateway, a proxy already on the network: reachable as they are.
    expect(reach('http://172.20.0.1:34895/jwks')).toBe('http://172.20.0.1:34895/jwks');
    expect(reach('http://tokenproof-abcd1234-toxiproxy:9405/jwks')).toBe('http://tokenproof-abcd1234-toxiproxy:9405/jwks');
  });

  it('refuses a loopback URL no container of the run publishes, naming --k6 host', () => {
    expect(() => reach('http://127.0.0.1:49999/protected')).toThrow(EnvironmentError);
    expect(() => reach('http://localhost:49999/protected')).toThrow(/--k6 host/);
  });

  it('keeps the token link between k6 and the issuer: the issuer calls go to the proxy, on the network', () => {
    // The containers chaos's token link: the published token proxy in front of the issuer's published origin.
    const link: FaultLink = {
      name: 'token',
      proxyName: 'token',
      listenOrigin: 'http://127.0.0.1:40003',
      upstreamOrigin: 'http://127.0.0.1:40001',
      tls: false,
      proxied: (url) => url.replace('http://127.0.0.1:40001', 'http://127.0.0.1:40003'),
    };
    const target = {
      tokenEndpoint: 'http://127.0.0.1:40001/token',
      introspectionEndpoint: 'http://127.0.0.1:40001/introspect',
      revocationEndpoint: 'http://127.0.0.1:40001/revoke',
    } as LoadTarget;
    routeIssuerTraffic(target, link);
    expect([target.tokenEndpoint, target.introspectionEndpoint, target.revocationEndpoint].map((url) => reach(url!))).toEqual([
      'http://tokenproof-abcd1234-toxiproxy:9404/token',
      'http://tokenproof-abcd1234-toxiproxy:9404/introspect',
      'http://tokenproof-abcd1234-toxiproxy:9404/revoke',
    ]);
  });

  it('reads the published ports from docker inspect: 127.0.0.1 bindings, TCP, by container name', () => {
    expect(
      publishedOrigins([
        {
          Name: '/tokenproof-abcd1234-toxiproxy',
          NetworkSettings: {
            Ports: {
              '8474/tcp': [{ HostIp: '127.0.0.1', HostPort: '40010' }],
              '9404/tcp': [{ HostIp: '127.0.0.1', HostPort: '40003' }],
              '9401/tcp': null,
              '53/udp': [{ HostIp: '127.0.0.1', HostPort: '40011' }],
            },
          },
        },
        {
          Name: '/tokenproof-abcd1234-issuer',
          NetworkSettings: { Ports: { '9400/tcp': [{ HostIp: '127.0.0.1', HostPort: '40001' }] } },
        },
      ]),
    ).toEqual({
      'http://127.0.0.1:40010': 'http://tokenproof-abcd1234-toxiproxy:8474',
      'http://127.0.0.1:40003': 'http://tokenproof-abcd1234-toxiproxy:9404',
      'http://127.0.0.1:40001': 'http://tokenproof-abcd1234-issuer:9400',
    });
  });
});

/** The k6 image the environment would choose: the public one when present, else the local one. */
async function k6Image(): Promise<{ ref: string; origin: 'public' | 'local' }> {
  const published = publicImageRefs().k6;
  if (await imagePresent(published)) return { ref: published, origin: 'public' };
  return { ref: imageRefs(await packageVersion()).k6, origin: 'local' };
}

describe.skipIf(!hasDocker)('the k6 image on a network', () => {
  it('stops k6 on the abort (Ctrl-C) with one SIGINT, and removes its container', { timeout: 60_000 }, async () => {
    const runId = `test${Date.now().toString(16).slice(-6)}`;
    const network = `tokenproof-${runId}`;
    docker(['network', 'create', '--label', `${runLabel}=${runId}`, network]);
    try {
      // Owner-only, as the load's work folder: the runner must make it usable for the image's user.
      const work = tempDir('tokenproof-k6-container-');
      chmodSync(work, 0o700);
      const script = join(work, 'idle.js');
      writeFileSync(
        script,
        "import { sleep } from 'k6';\nexport const options = { vus: 1, duration: '60s' };\nexport default function () { sleep(0.2); }\n",
        { mode: 0o600 },
      );
      const csv = join(work, 'samples.csv');
      const runner = containerK6Runner({
        image: await k6Image(),
        network,
        labels: runLabels(runId),
        namePrefix: network,
        origins: async () => ({}),
      });
      const abort = new AbortController();
      const running = runner.run({
        script,
        env: { K6_CSV_SAVE_INTERVAL: '1s' },
        args: ['--out', `csv=${csv}`],
        summaryFile: join(work, 'summary.json'),
        shareDirs: { readOnly: [], readWrite: [work] },
        signal: abort.signal,
      });
      const settled = running.then(
        () => 'resolved',
        (error: Error) => error.message,
      );
      // k6 is running in the container once it writes samples into the mounted folder.
      const wrote = await pollUntil(async () => (statSync(csv, { throwIfNoEntry: false })?.size ?? 0) > 0 || undefined, {
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      expect(wrote.value).toBe(true);
      expect(docker(['ps', '--filter', `label=${runLabel}=${runId}`, '--format', '{{.Names}} {{.Networks}}'])).toMatch(
        new RegExp(`^${network}-k6-\\d+ ${network}$`),
      );
      abort.abort();
      // k6 itself got the SIGINT (its ExternalAbort, 105, as on the host; not a kill) long before its 60 s.
      expect(await settled).toMatch(
        /k6 \(in the container tokenproof-test[0-9a-f]+-k6-\d+\) exited with 105: .*received a 'interrupt' signal/,
      );
      expect((await listRunResources(runId)).containers).toEqual([]);
    } finally {
      const left = docker(['ps', '-aq', '--filter', `label=${runLabel}=${runId}`]);
      if (left) spawnSync('docker', ['rm', '-f', ...left.split('\n')], { timeout: 30_000 });
      docker(['network', 'rm', network]);
    }
  });
});

interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
}

describe.skipIf(!hasDocker)('tokenproof load --env containers', () => {
  it('runs k6 as a container on the run network, exits 1 naming an impossible SLO, and leaves nothing behind', {
    timeout: 240_000,
  }, async () => {
    const out = tempDir('tokenproof-load-containers-');
    const since = Math.floor(Date.now() / 1000) - 1;
    const run = await runCli([
      'load',
      '--env',
      'containers',
      '--scenario',
      'validation',
      '--duration',
      '6s',
      '--rate',
      '20',
      '--slo',
      'validationP95=0.001ms',
      '--out',
      out,
    ]);
    const until = Math.floor(Date.now() / 1000) + 1;
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/load: k6 is the k6 image \S+k6:\S+ \(.+\) in a container on the network tokenproof-[0-9a-f]{8}/);
    expect(run.stdout).toMatch(/SLO validationP95 BREACHED: p95 [\d.]+ m?s \(p95 < 0\.001 ms\)/);
    expect(run.stdout).toMatch(/load: [\d.]+ s \/ 6\.00 s · \d+ requests/); // the progress line, from the mounted CSV

    const dir = join(out, readdirSync(out).find((name) => name !== 'latest')!);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunResult;
    expect(report.slo.filter((verdict) => !verdict.ok).map((verdict) => verdict.name)).toEqual(['validationP95']);
    const load = report.phases?.find((phase) => phase.name === 'load')?.details?.['load'] as {
      k6: { where: string; image: string; network: string };
      requests: number;
      correctness: { sent: Record<string, number>; wronglyAccepted: Record<string, number>; validRefused: number };
    };
    // Where k6 ran, in the report; and it reached the RS on the network with the host-minted pool.
    expect(load.k6).toMatchObject({ where: 'container', network: expect.stringMatching(/^tokenproof-[0-9a-f]{8}$/) });
    expect(load.requests).toBeGreaterThan(0);
    expect(load.correctness.validRefused).toBe(0);
    expect(load.correctness.sent['forged']).toBeGreaterThan(0);
    expect(Object.values(load.correctness.wronglyAccepted)).toEqual([0, 0, 0]);
    const runId = load.k6.network.replace(/^tokenproof-/, '');

    // The engine's own account: a k6 container of this run started, joined the run network, went away.
    const events = docker([
      'events',
      '--since',
      String(since),
      '--until',
      String(until),
      '--filter',
      `label=${runLabel}=${runId}`,
      '--format',
      '{{json .}}',
    ])
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as DockerEvent);
    const k6Starts = events.filter(
      (event) => event.Type === 'container' && event.Action === 'start' && /-k6-\d+$/.test(event.Actor.Attributes['name'] ?? ''),
    );
    expect(k6Starts).toHaveLength(1);
    const k6 = k6Starts[0]!;
    expect(k6.Actor.Attributes['image']).toBe(load.k6.image);
    expect(k6.Actor.Attributes['name']).toMatch(new RegExp(`^tokenproof-${runId}-k6-\\d+$`));
    expect(events.some((event) => event.Actor.ID === k6.Actor.ID && event.Action === 'destroy')).toBe(true);
    const connects = docker([
      'events',
      '--since',
      String(since),
      '--until',
      String(until),
      '--filter',
      'type=network',
      '--filter',
      'event=connect',
      '--filter',
      `network=${load.k6.network}`,
      '--format',
      '{{.Actor.Attributes.container}}',
    ]).split('\n');
    expect(connects).toContain(k6.Actor.ID);
    expect(await listRunResources(runId)).toEqual({ containers: [], networks: [] });
  });
});
