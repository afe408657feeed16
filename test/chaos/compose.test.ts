/**
 * `tokenproof chaos --target targets/compose.yaml` against the real docker-compose.yml stack:
 * the game day drives the stack's own toxiproxy through the proxies the profile's
 * chaos.toxiproxy.links names (the RS replicas really fetch their JWKS through `jwks`), and
 * leaves every proxy as it found it, after a finished run and after a Ctrl-C. Before that, the
 * profile block's errors, without Docker: a bad field is exit 2 naming file and field; an
 * unknown proxy or a toxiproxy that does not answer is exit 3 naming it and the fix.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaos } from '../../harness/cli/chaos.ts';
import { type Compose, ensureDockerCompose, ensureDockerEngine } from '../../harness/env/containers/docker.ts';
import { imageRefs, packageVersion } from '../../harness/env/containers/images.ts';
import { freePort } from '../../harness/env/free-port.ts';
import { profileChaosSubjects } from '../../harness/faults/profile-subjects.ts';
import { type FaultLink, startToxiproxy, type ToxiproxyServer } from '../../harness/faults/toxiproxy.ts';
import { TokenproofError } from '../../harness/lib/errors.ts';
import { pollUntil } from '../../harness/lib/poll.ts';
import { loadProfile } from '../../harness/profile/load.ts';
import { runCommand } from '../../harness/tools/command.ts';
import { findOnPath, repoRoot } from '../../harness/tools/paths.ts';
import { cliMain, runCli } from '../support/cli.ts';

const composeFile = join(repoRoot, 'docker-compose.yml');
const composeTarget = readFileSync(join(repoRoot, 'targets', 'compose.yaml'), 'utf8');
const gameday = (name: string) => join(repoRoot, 'scenarios', 'gamedays', `${name}.yaml`);
const dir = mkdtempSync(join(tmpdir(), 'tokenproof-compose-chaos-'));
const composeProxies = ['introspection', 'issuer', 'jwks', 'revocation-events'];

interface ProxyListing {
  name: string;
  enabled: boolean;
  toxics: unknown[];
}

/** targets/compose.yaml with its ports moved to where this test's stack publishes them. */
function composeProfile(ports: { proxy: number; issuer: number; toxiproxy: number; rs: string[] }): string {
  const text = composeTarget
    .replaceAll('127.0.0.1:9401', `127.0.0.1:${ports.proxy}`)
    .replaceAll('127.0.0.1:9400', `127.0.0.1:${ports.issuer}`)
    .replaceAll('127.0.0.1:8474', `127.0.0.1:${ports.toxiproxy}`)
    .replace('url: http://127.0.0.1:9500/protected', `url: ${ports.rs[0]}\n  replicas: [${ports.rs.join(', ')}]`);
  for (const port of ['9400', '9401', '8474', '9500']) expect(text).not.toContain(`127.0.0.1:${port}/`);
  const file = join(dir, 'compose.yaml');
  writeFileSync(file, text);
  return file;
}

describe('the profile chaos block', () => {
  let toxiproxy: ToxiproxyServer;
  const profile = (name: string, chaos: string) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        `name: ${name}`,
        'issuer: { url: "http://127.0.0.1:9" }',
        'resourceServer: { url: "http://127.0.0.1:9/protected", audience: "api://x", trusts: issuer }',
        chaos,
      ].join('\n'),
    );
    return file;
  };

  beforeAll(async () => {
    toxiproxy = await startToxiproxy({ logDir: dir });
    await new Toxiproxy(toxiproxy.url).createProxy({ name: 'issuer', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' });
  });

  afterAll(async () => {
    await toxiproxy?.stop();
  });

  /** The chaos command in this process, as the CLI runs it: the error it ends with (main.ts exits with its exitCode). */
  const chaosError = async (file: string): Promise<TokenproofError> => {
    const run = chaos(
      { target: file, gameday: gameday('idp-outage'), out: dir, command: 'chaos', version: 'test' },
      () => undefined,
    );
    const error = await run.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(TokenproofError);
    return error as TokenproofError;
  };

  it('a bad field is exit 2 naming the file, the line and the field', async () => {
    const file = profile(
      'bad-field',
      `chaos: { toxiproxy: { url: "${toxiproxy.url}", links: { token: issuer, jwks-fetch: jwks } } }`,
    );
    const error = await chaosError(file);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`${file}:4:`);
    expect(error.message).toContain("'chaos.toxiproxy.links.jwks-fetch' is not a known field");
  });

  it('a proxy the toxiproxy does not have is exit 3 naming it, the URL and what to do', async () => {
    const file = profile(
      'no-proxy',
      `chaos: { toxiproxy: { url: "${toxiproxy.url}", links: { token: issuer, jwks: rs-jwks } } }`,
    );
    const error = await chaosError(file);
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain(`toxiproxy at ${toxiproxy.url} has no proxy rs-jwks for the jwks link (it has: issuer)`);
    expect(error.message).toMatch(/fix: name a proxy it has in .*no-proxy\.yaml \(chaos\.toxiproxy\.links\.jwks\)/);
    // The adopted proxy is left as it was found.
    expect(await toxiproxy.state({ proxyName: 'issuer' } as FaultLink)).toMatchObject({ enabled: true, toxics: [] });
  });

  it('gives an issuer-trusting RS the declared links: jwt and propagation for a JWT RS, introspection for an introspecting one', async () => {
    const owner = new Toxiproxy(toxiproxy.url);
    for (const name of ['jwks', 'revocation-events', 'introspection'])
      await owner.createProxy({ name, listen: '127.0.0.1:0', upstream: '127.0.0.1:9' });
    try {
      for (const mode of ['jwt', 'introspection'] as const) {
        const file = profile(
          `subjects-${mode}`,
          [
            'chaos:',
            `  toxiproxy: { url: "${toxiproxy.url}", links: { token: issuer, jwks: jwks, revocation-events: revocation-events, introspection: introspection } }`,
            `  resourceServer: ${mode}`,
          ].join('\n'),
        );
        const { profile: loaded, baseDir } = loadProfile(file);
        const run = await startToxiproxy({ url: toxiproxy.url, logDir: dir });
        try {
          const environment = await profileChaosSubjects(run, { name: mode, profile: loaded, baseDir, file }, undefined);
          expect(Object.keys(environment.subjects).sort()).toEqual(mode === 'jwt' ? ['jwt', 'propagation'] : ['introspection']);
          expect([...run.links.values()].map((link) => `${link.name}=${link.proxyName}`).sort()).toEqual([
            'introspection=introspection',
            'jwks=jwks',
            'revocation-events=revocation-events',
            'token=issuer',
          ]);
          // The clients' side of the token proxy is the issuer identifier the profile names.
          expect(run.links.get('token')?.listenOrigin).toBe('http://127.0.0.1:9');
          expect(environment.notes.join('\n')).toContain("the token link is the target's own proxy issuer");
          if (mode === 'jwt') expect(environment.notes.join('\n')).toContain('no game-day subject uses it');
        } finally {
          await run.stop();
        }
        // Adopted, so still there after stop().
        expect(Object.keys(await owner.getAll()).sort()).toEqual(['introspection', 'issuer', 'jwks', 'revocation-events']);
      }
    } finally {
      for (const name of ['jwks', 'revocation-events', 'introspection']) await (await owner.get(name)).remove();
    }
  });

  it('a toxiproxy that does not answer is exit 3 naming the URL and the field to fix', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const file = profile('no-toxiproxy', `chaos: { toxiproxy: { url: "${url}", links: { jwks: jwks } } }`);
    const error = await chaosError(file);
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain(`toxiproxy at ${url} does not answer`);
    expect(error.message).toMatch(/fix: .*docker compose up -d.*or fix chaos\.toxiproxy\.url in .*no-toxiproxy\.yaml/);
  });
});

describe('chaos --target targets/compose.yaml on the docker-compose.yml stack', () => {
  let compose: Compose;
  const project = `tokenproof-chaos-${process.pid}-${randomBytes(3).toString('hex')}`;
  const secret = () => randomBytes(24).toString('base64url');
  const stackEnv: Record<string, string> = {
    // Any free port per RS replica (the default range may be taken here).
    TOKENPROOF_RS_PORTS: '',
    TOKENPROOF_ADMIN_TOKEN: secret(),
    TOKENPROOF_PRIMARY_SECRET: secret(),
    TOKENPROOF_SECONDARY_SECRET: secret(),
    TOKENPROOF_ALICE_PASSWORD: secret(),
  };
  const composeRun = (args: string[]) =>
    runCommand(compose.command[0]!, [...compose.command.slice(1), '--project-name', project, '--file', composeFile, ...args], {
      env: { ...process.env, ...stackEnv },
      timeoutMs: 3 * 60_000,
    });
  let toxiproxyApi: string;
  let target: string;
  let skipped: string | undefined;
  let up = false;

  const proxies = async (): Promise<Record<string, ProxyListing>> => {
    const response = await fetch(`${toxiproxyApi}/proxies`, { signal: AbortSignal.timeout(2000) });
    return (await response.json()) as Record<string, ProxyListing>;
  };
  const expectAsFound = async () => {
    const listing = await proxies();
    expect(Object.keys(listing).sort()).toEqual(composeProxies);
    for (const proxy of Object.values(listing)) expect(proxy, proxy.name).toMatchObject({ enabled: true, toxics: [] });
  };

  beforeAll(async () => {
    // Outside CI a machine without Docker skips; under CI=true nothing skips: a missing engine
    // or Compose fails here with the error that says what to install.
    if (process.env['CI'] !== 'true' && (await findOnPath('docker')) === undefined) {
      skipped = 'docker is not installed (apt-get install docker.io docker-compose, then `tokenproof setup --containers`)';
      return;
    }
    await ensureDockerEngine();
    compose = await ensureDockerCompose();
    for (const image of Object.values(imageRefs(await packageVersion()))) {
      const inspect = await runCommand('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { timeoutMs: 20_000 });
      expect(inspect.ok, `image ${image} is missing: run \`node harness/cli/main.ts setup --containers\``).toBe(true);
    }
    const [proxy, issuer, toxiproxy] = [await freePort(), await freePort(), await freePort()];
    Object.assign(stackEnv, {
      TOKENPROOF_PROXY_PORT: String(proxy),
      TOKENPROOF_ISSUER_PORT: String(issuer),
      TOKENPROOF_TOXIPROXY_PORT: String(toxiproxy),
    });
    toxiproxyApi = `http://127.0.0.1:${toxiproxy}`;
    up = true;
    const started = await composeRun(['up', '--detach', '--no-build', '--scale', 'rs=2']);
    expect(started.ok, `compose up failed:\n${started.stderr}`).toBe(true);
    const rs: string[] = [];
    for (const index of [1, 2]) {
      const port = await composeRun(['port', '--index', String(index), 'rs', '9500']);
      expect(port.ok, port.stderr).toBe(true);
      rs.push(`http://${port.stdout.trim()}/protected`);
    }
    target = composeProfile({ proxy, issuer, toxiproxy, rs });
    // Both replicas answer (their healthcheck is slower than their start).
    for (const url of rs) {
      const ready = await pollUntil(
        () =>
          fetch(new URL('/health', url), { signal: AbortSignal.timeout(2000) }).then(
            (response) => (response.ok ? true : undefined),
            () => undefined,
          ),
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      expect(ready.value, `${url} never answered`).toBe(true);
    }
  }, 180_000);

  afterAll(async () => {
    if (!up) return;
    const down = await composeRun(['down', '--volumes', '--remove-orphans']);
    expect(down.ok, `compose down failed:\n${down.stderr}`).toBe(true);
    const left = await runCommand('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`], {
      timeoutMs: 20_000,
    });
    expect(left.stdout.trim()).toBe('');
  }, 120_000);

  it('idp-outage: the RS replicas lose their JWKS through the jwks proxy, keep serving (C01), recover (C06); the proxies are left as found', async (ctx) => {
    if (skipped) ctx.skip(skipped);
    const out = join(dir, 'reports');
    const run = await runCli(['chaos', '--target', target, '--gameday', gameday('idp-outage'), '--out', out], stackEnv);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'latest', 'report.json'), 'utf8')) as {
      checks: { id: string; outcome: string; reason: string }[];
      timeline: { faults: { name: string; startMs: number; endMs: number }[] };
      phases: {
        details?: {
          chaos?: {
            subject: string;
            links: { name: string; listen: string; upstream: string }[];
            phases: { name: string; legitimate: number; availability: number }[];
            probes: { phase: string; kind: string; sent: number; accepted: number }[];
            notes: string[];
          };
        };
      }[];
    };
    const outcome = Object.fromEntries(report.checks.map((check) => [check.id, check.outcome]));
    expect(outcome, run.stdout).toMatchObject({
      'resilience.outage-warm-jwks': 'pass',
      'resilience.recovery': 'pass',
      'resilience.nothing-wrongly-accepted': 'pass',
    });
    const chaos = report.phases.find((phase) => phase.details?.chaos)?.details?.chaos;
    expect(chaos?.subject).toBe('jwt');
    // The declared proxies, as the compose toxiproxy has them: the RSes' side and the clients' side.
    expect(chaos?.links.map((link) => link.name).sort()).toEqual(['jwks', 'revocation-events', 'token']);
    expect(chaos?.links.find((link) => link.name === 'jwks')).toMatchObject({ listen: expect.stringMatching(/:9402$/) });
    expect(chaos?.links.find((link) => link.name === 'token')).toMatchObject({
      listen: `http://127.0.0.1:${stackEnv['TOKENPROOF_PROXY_PORT']}`,
    });
    expect(report.timeline.faults.map((fault) => fault.name)).toEqual(['outage: outage on jwks']);
    const outage = chaos?.phases.find((phase) => phase.name === 'outage');
    expect(outage?.legitimate).toBeGreaterThan(0);
    const unknownKey = chaos?.probes.find((probe) => probe.phase === 'outage' && probe.kind === 'unknown-key');
    expect(unknownKey?.sent).toBeGreaterThan(0);
    expect(unknownKey?.accepted).toBe(0);
    // The outage reached the RS: a token under an unknown key made it refetch, and the fetch
    // through the jwks proxy failed while the proxy was down.
    const logs = await composeRun(['logs', '--no-color', 'rs']);
    expect(logs.stdout).toMatch(/JWKS fetch failed.*toxiproxy:9402/);
    await expectAsFound();
  }, 90_000);

  it('a Ctrl-C during the outage leaves every proxy enabled and without toxics', async (ctx) => {
    if (skipped) ctx.skip(skipped);
    const child = spawn(
      process.execPath,
      [cliMain, 'chaos', '--target', target, '--gameday', gameday('truncated-jwks'), '--out', join(dir, 'interrupted')],
      { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1', ...stackEnv }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      // The truncation is on: the jwks proxy holds the run's toxic.
      const faulted = await pollUntil(
        () =>
          proxies().then(
            (listing) => (listing['jwks'] && listing['jwks'].toxics.length > 0 ? listing : undefined),
            () => undefined,
          ),
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      expect(faulted.value, output).toBeDefined();
      child.kill('SIGINT');
      expect(await exited, output).toBe(130);
      await expectAsFound();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
