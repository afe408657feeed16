/**
 * The containers environment against the real Docker engine: the reference issuer, toxiproxy,
 * two issuer-trusting RS replicas and the forged-token RS as containers on the run's own network;
 * the discovery, jwks, rs-claims and revocation suites pass against it exactly as against the
 * embedded stack; and nothing the run created is left behind.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { environmentOptions } from '../../harness/cli/conform.ts';
import { type PreparedEnvironment, prepareEnvironment } from '../../harness/engine/environment.ts';
import { hostLabel, listRunResources, pidLabel, runLabel, sweepOrphans } from '../../harness/env/containers/run-resources.ts';
import { audience } from '../../harness/env/embedded.ts';
import { EnvironmentError, UsageError } from '../../harness/lib/errors.ts';
import { Redactor } from '../../harness/lib/redactor.ts';
import { tokenRequest } from '../../harness/oauth/client.ts';
import type { CheckResult } from '../../harness/results/model.ts';
import { findOnPath } from '../../harness/tools/paths.ts';
import { runSelected } from '../support/run-checks.ts';

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

describe('the containers environment', () => {
  it('runs discovery, jwks, rs-claims and revocation against two RS replicas in Docker and leaves no container or network behind', {
    timeout: 5 * 60_000,
  }, async (ctx) => {
    await dockerOrSkip((note) => ctx.skip(note));
    let environment: PreparedEnvironment | undefined;
    let runId: string | undefined;
    let results: Map<string, CheckResult>;
    try {
      environment = await prepareEnvironment({
        env: 'containers',
        rsReplicas: 2,
        runDir: runDir(),
        redactor: new Redactor(),
        log: () => {},
      });
      const stack = environment.containers!;
      runId = stack.id;
      expect(environment.kind).toBe('containers');
      expect(stack.containers.map((container) => container.role)).toEqual(['issuer', 'toxiproxy', 'rs-1', 'rs-2', 'rs-forged']);

      // Every container is on the run's network alone, labelled with the run, published on loopback only.
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

      // V08 gets every replica; each one accepts a token from the issuer (its JWKS came through toxiproxy).
      const profile = environment.target.profile;
      expect(profile.propagation?.resourceServers).toEqual(stack.replicas.map((url) => `${url}/protected`));
      expect(stack.replicas).toHaveLength(2);
      const client = profile.issuer!.clients!.primary!;
      const issued = await tokenRequest(
        `${profile.issuer!.url}/token`,
        { grant_type: 'client_credentials', resource: audience },
        { method: 'client_secret_basic', clientId: client.id, secret: client.secret! },
      );
      const accessToken = issued.body.access_token;
      expect(accessToken).toBeTypeOf('string');
      for (const url of profile.propagation!.resourceServers) {
        const response = await fetch(url, {
          headers: { authorization: `Bearer ${accessToken}` },
          signal: AbortSignal.timeout(15_000),
        });
        expect(response.status, url).toBe(200);
      }

      results = await runSelected(environment.target, { suites: ['discovery', 'jwks', 'rs-claims', 'revocation'] });
    } finally {
      await environment?.stop();
    }
    const failing = [...results.values()]
      .filter((result) => result.outcome === 'fail' || result.outcome === 'error')
      .map((result) => `${result.id}: ${result.outcome} ${result.reason}`);
    expect(failing).toEqual([]);
    const suites = new Set([...results.values()].map((result) => result.suite));
    expect([...suites].sort()).toEqual(['discovery', 'jwks', 'revocation', 'rs-claims']);
    expect([...results.values()].filter((result) => result.outcome === 'pass').length).toBeGreaterThan(40);

    expect(runId).toBeDefined();
    expect(await listRunResources(runId!)).toEqual({ containers: [], networks: [] });
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
