/**
 * The containers environment against the real Docker engine: the reference issuer, toxiproxy,
 * two issuer-trusting RS replicas and the forged-token RS as containers on the run's own network;
 * the discovery, jwks, rs-claims and revocation suites pass against it exactly as against the
 * embedded stack; and nothing the run created is left behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { environmentOptions } from '../../harness/cli/conform.ts';
import { chaosPhase } from '../../harness/engine/chaos.ts';
import { conformancePhase } from '../../harness/engine/conformance.ts';
import { type PreparedEnvironment, prepareEnvironment } from '../../harness/engine/environment.ts';
import type { Phase } from '../../harness/engine/phase.ts';
import { executeRun } from '../../harness/engine/run.ts';
import { imageSourceFrom, publicImageRefs } from '../../harness/env/containers/image-choice.ts';
import { hostLabel, listRunResources, pidLabel, runLabel, sweepOrphans } from '../../harness/env/containers/run-resources.ts';
import { audience } from '../../harness/env/embedded.ts';
import { loadGameday } from '../../harness/faults/gameday.ts';
import { EnvironmentError, UsageError } from '../../harness/lib/errors.ts';
import { pollUntil } from '../../harness/lib/poll.ts';
import { Redactor } from '../../harness/lib/redactor.ts';
import { tokenRequest } from '../../harness/oauth/client.ts';
import { selectChecks } from '../../harness/runner/run.ts';
import { findOnPath, repoRoot } from '../../harness/tools/paths.ts';
import { goTools } from '../../harness/tools/versions.ts';
import { allSuites } from '../../suites/index.ts';

const workDirs: string[] = [];
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

function runDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokenproof-containers-'));
  workDirs.push(dir);
  return dir;
}

function docker(args: string[]): string {
  const result = spawnSync('docker', args, { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Outside CI a machine without Docker skips; under CI=true nothing skips. */
async function dockerOrSkip(skip: (note: string) => void): Promise<void> {
  if (process.env['CI'] !== 'true' && (await findOnPath('docker')) === undefined) skip('no docker command on this machine');
}

describe('--env and --rs-replicas', () => {
  it('are checked before anything starts', () => {
    expect(environmentOptions({})).toEqual({ env: 'embedded' });
    expect(environmentOptions({ env: 'containers', rsReplicas: 3 })).toEqual({ env: 'containers', rsReplicas: 3 });
    expect(() => environmentOptions({ rsReplicas: 2 })).toThrow(UsageError);
    expect(() => environmentOptions({ env: 'containers', target: 'targets/reference.yaml' })).toThrow(/leave out --target/);
    expect(() => environmentOptions({ env: 'kubernetes' })).toThrow(/embedded or containers/);
  });
});

describe('image choice', () => {
  it('takes TOKENPROOF_IMAGES as auto (default), public or local, and the public images carry the pinned versions', () => {
    expect(imageSourceFrom(undefined)).toBe('auto');
    expect(imageSourceFrom('local')).toBe('local');
    expect(() => imageSourceFrom('latest')).toThrow(UsageError);
    expect(publicImageRefs()).toEqual({
      toxiproxy: `ghcr.io/shopify/toxiproxy:${goTools.toxiproxy.version.replace(/^v/, '')}`,
      k6: `grafana/k6:${goTools.k6.version.replace(/^v/, '')}`,
    });
  });
});

describe('the containers environment', () => {
  it('runs discovery, jwks, rs-claims, revocation, V08 per replica and a short game day against two RS replicas in Docker, and leaves no container or network behind', {
    timeout: 5 * 60_000,
  }, async (ctx) => {
    await dockerOrSkip((note) => ctx.skip(note));
    let runId: string | undefined;
    const conformance = conformancePhase(
      selectChecks(allSuites, { suites: ['discovery', 'jwks', 'rs-claims', 'revocation', 'propagation'] }),
    );
    // The stack is inspected live, inside the run, before the suites start.
    const inspectedConformance: Phase = {
      ...conformance,
      async run(context) {
        runId = context.environment.containers?.id;
        await inspectStack(context.environment);
        return conformance.run(context);
      },
    };
    const gameday = loadGameday(join(repoRoot, 'scenarios', 'gamedays', 'run-default.yaml'));
    const outcome = await executeRun({
      command: 'test',
      version: 'test',
      phases: [inspectedConformance, chaosPhase({ gameday })],
      reporters: [],
      out: runDir(),
      environment: { env: 'containers', rsReplicas: 2 },
      log: () => {},
    });
    const checks = outcome.result.checks;
    const tally = new Map<string, number>();
    for (const check of checks)
      tally.set(`${check.suite} ${check.outcome}`, (tally.get(`${check.suite} ${check.outcome}`) ?? 0) + 1);
    process.stdout.write(`[containers-environment] ${[...tally].map(([key, count]) => `${key}: ${count}`).join(', ')}\n`);
    const failing = checks
      .filter((check) => check.outcome === 'fail' || check.outcome === 'error')
      .map((check) => `${check.id}: ${check.outcome} ${check.reason}`);
    expect(failing).toEqual([]);
    expect([...new Set(checks.map((check) => check.suite))].sort()).toEqual(
      expect.arrayContaining(['discovery', 'jwks', 'propagation', 'revocation', 'rs-claims']),
    );
    expect(checks.filter((check) => check.outcome === 'pass').length).toBeGreaterThan(40);
    // V08 measured both replicas and names the slowest.
    const propagation = checks.find((check) => check.id === 'propagation.revocation');
    expect(propagation?.outcome).toBe('pass');
    expect(propagation?.reason).toMatch(/10 tokens × 2 resource servers.*; slowest: http:\/\/127\.0\.0\.1:\d+\/protected \(max /);
    // The game day ran its faults through the container toxiproxy and judged them.
    expect(outcome.result.phases?.map((phase) => phase.name)).toEqual(['conformance', 'chaos']);
    expect(checks.some((check) => check.suite === 'resilience' && check.outcome === 'pass')).toBe(true);
    expect(outcome.exitCode).toBe(0);

    expect(runId).toBeDefined();
    expect(await listRunResources(runId!)).toEqual({ containers: [], networks: [] });
  });

  it('removes the containers and the network when the run is interrupted (Ctrl-C)', { timeout: 3 * 60_000 }, async (ctx) => {
    await dockerOrSkip((note) => ctx.skip(note));
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'harness', 'cli', 'main.ts'), 'conform', '--env', 'containers', '--suites', 'discovery', '--out', runDir()],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // Interrupted once every container of the stack is running.
      const runId = await pollUntil(
        async () => {
          const id = /containers: network tokenproof-([0-9a-f]+)/.exec(output)?.[1];
          if (!id || !/starting rs-forged/.test(output)) return undefined;
          return (await listRunResources(id)).containers.length >= 4 ? id : undefined;
        },
        { timeoutMs: 150_000, intervalMs: 200 },
      );
      expect(runId.value, `the stack did not start; output:\n${output}`).toBeDefined();
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(output).toContain(`removing the containers and network of run ${runId.value}`);
      expect(await listRunResources(runId.value!)).toEqual({ containers: [], networks: [] });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('removes what a run left behind once its process is gone, and leaves live runs alone', { timeout: 60_000 }, async (ctx) => {
    await dockerOrSkip((note) => ctx.skip(note));
    const labels = (runId: string, pid: number) =>
      [`${runLabel}=${runId}`, `${pidLabel}=${pid}`, `${hostLabel}=${hostname()}`].flatMap((label) => ['--label', label]);
    const gone = `orphan-${process.pid}`;
    const live = `live-${process.pid}`;
    // A pid that cannot exist (above Linux's pid_max limit) stands for a SIGKILLed run.
    docker(['network', 'create', ...labels(gone, 4_194_305), `tokenproof-test-${gone}`]);
    docker(['network', 'create', ...labels(live, process.pid), `tokenproof-test-${live}`]);
    try {
      expect(await sweepOrphans()).toContain(gone);
      expect(await listRunResources(gone)).toEqual({ containers: [], networks: [] });
      expect((await listRunResources(live)).networks).toHaveLength(1);
    } finally {
      spawnSync('docker', ['network', 'rm', `tokenproof-test-${gone}`, `tokenproof-test-${live}`]);
    }
  });

  it('says how to get a Docker engine when none answers (exit 3)', { timeout: 60_000 }, async (ctx) => {
    await dockerOrSkip((note) => ctx.skip(note));
    const saved = process.env['DOCKER_HOST'];
    process.env['DOCKER_HOST'] = 'tcp://127.0.0.1:1';
    try {
      const error = await prepareEnvironment({ env: 'containers', runDir: runDir(), redactor: new Redactor() }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(EnvironmentError);
      expect((error as EnvironmentError).exitCode).toBe(3);
      expect((error as EnvironmentError).fix).toMatch(/start the engine DOCKER_HOST points at|unset DOCKER_HOST/);
    } finally {
      if (saved === undefined) delete process.env['DOCKER_HOST'];
      else process.env['DOCKER_HOST'] = saved;
    }
  });
});

/** Every container on the run's network alone, labelled, published on loopback; every replica in V08's list and accepting issuer tokens. */
async function inspectStack(environment: PreparedEnvironment): Promise<void> {
  const stack = environment.containers!;
  expect(environment.kind).toBe('containers');
  expect(stack.containers.map((container) => container.role)).toEqual(['issuer', 'toxiproxy', 'rs-1', 'rs-2', 'rs-forged']);
  for (const container of stack.containers) {
    const inspected = JSON.parse(docker(['inspect', container.id]))[0] as {
      Config: { Labels: Record<string, string> };
      NetworkSettings: { Networks: Record<string, unknown> };
      HostConfig: { PortBindings: Record<string, { HostIp: string }[]> };
    };
    expect(Object.keys(inspected.NetworkSettings.Networks)).toEqual([stack.network.name]);
    expect(inspected.Config.Labels[runLabel]).toBe(stack.id);
    const bindings = Object.values(inspected.HostConfig.PortBindings).flat();
    expect(bindings.length).toBeGreaterThan(0);
    for (const binding of bindings) expect(binding.HostIp).toBe('127.0.0.1');
  }
  // The test issuer listens on the network's gateway, not on every interface.
  expect(new URL(environment.testIssuer!.url).hostname).toBe(stack.network.gateway);
  // A chaos run: the game day's jwks link is the container toxiproxy's proxy in front of the test issuer.
  expect(environment.chaos?.toxiproxy.links.get('jwks')?.proxyName).toBe('test-jwks');

  const profile = environment.target.profile;
  expect(stack.replicas).toHaveLength(2);
  expect(profile.propagation?.resourceServers).toEqual(stack.replicas.map((url) => `${url}/protected`));
  const client = profile.issuer!.clients!.primary!;
  const issued = await tokenRequest(
    `${profile.issuer!.url}/token`,
    { grant_type: 'client_credentials', resource: audience },
    { method: 'client_secret_basic', clientId: client.id, secret: client.secret! },
  );
  const accessToken = issued.body.access_token;
  expect(accessToken).toBeTypeOf('string');
  // Each replica fetched the issuer's keys through toxiproxy's jwks proxy to accept it.
  for (const url of profile.propagation!.resourceServers) {
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${accessToken}` },
      signal: AbortSignal.timeout(15_000),
    });
    await response.body?.cancel();
    expect(response.status, url).toBe(200);
  }
}
