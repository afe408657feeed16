import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadYamlFile } from '../../harness/config/yaml-file.ts';
import { ensureDockerCompose, ensureDockerEngine } from '../../harness/env/containers/docker.ts';
import {
  buildBaseImages,
  imageRefs,
  isPrunable,
  packageVersion,
  productionPackages,
} from '../../harness/env/containers/images.ts';
import { parseLddOutput } from '../../harness/env/containers/rootfs.ts';
import { freePort } from '../../harness/env/free-port.ts';
import { ConfigError, EnvironmentError } from '../../harness/lib/errors.ts';
import { postForm, tokenRequest } from '../../harness/oauth/client.ts';
import { loadProfile } from '../../harness/profile/load.ts';
import { issuerConfigSchema } from '../../harness/reference/issuer/config.ts';
import { resourceServerConfigSchema } from '../../harness/reference/resource-server/config.ts';
import { runCommand } from '../../harness/tools/command.ts';
import { findOnPath, repoRoot } from '../../harness/tools/paths.ts';

const composeFile = join(repoRoot, 'docker-compose.yml');
const containersDir = join(repoRoot, 'harness', 'env', 'containers');
const secretNames = [
  'TOKENPROOF_ADMIN_TOKEN',
  'TOKENPROOF_PRIMARY_SECRET',
  'TOKENPROOF_SECONDARY_SECRET',
  'TOKENPROOF_ALICE_PASSWORD',
];

interface ComposeService {
  image: string;
  command: string[];
  environment?: Record<string, string>;
  ports: string[];
  volumes: string[];
}

const compose = parse(readFileSync(composeFile, 'utf8')) as { services: Record<string, ComposeService> };

describe('parseLddOutput', () => {
  it('lists the libraries and the loader of a dynamic binary, without the vDSO', () => {
    const output = [
      '\tlinux-vdso.so.1 (0x00007fff5a1d2000)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007fa563200000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fa56301e000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007fa563627000)',
    ].join('\n');
    expect(parseLddOutput(output, 'node')).toEqual([
      '/lib/x86_64-linux-gnu/libstdc++.so.6',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });

  it('needs nothing for a static binary', () => {
    expect(parseLddOutput('\tnot a dynamic executable\n', 'k6')).toEqual([]);
    expect(parseLddOutput('\tstatically linked\n', 'k6')).toEqual([]);
  });

  it('refuses a binary whose library is missing, naming it', () => {
    expect(() => parseLddOutput('\tlibfoo.so.1 => not found\n', '/usr/bin/thing')).toThrow(
      /\/usr\/bin\/thing needs libfoo\.so\.1, which ldd cannot find/,
    );
  });
});

describe('production node_modules', () => {
  it('takes every non-dev package from the lockfile, nested ones included, optional ones apart', () => {
    const lockfile = {
      packages: {
        '': {},
        'node_modules/fastify': {},
        'node_modules/ajv/node_modules/fast-uri': {},
        'node_modules/vitest': { dev: true },
        'node_modules/fsevents': { optional: true },
        'node_modules/linked': { link: true },
      },
    };
    expect(productionPackages(lockfile)).toEqual({
      required: ['node_modules/fastify', 'node_modules/ajv/node_modules/fast-uri'],
      optional: ['node_modules/fsevents'],
    });
  });

  it("finds the repository's runtime dependencies and none of its dev tools", async () => {
    const lockfile = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'));
    const { required } = productionPackages(lockfile);
    expect(required).toEqual(expect.arrayContaining(['node_modules/fastify', 'node_modules/jose', 'node_modules/zod']));
    expect(required).not.toContain('node_modules/node');
    expect(required).not.toContain('node_modules/vitest');
  });

  it('prunes declarations, source maps and docs, never code', () => {
    expect(isPrunable('/c/node_modules/zod/index.d.ts')).toBe(true);
    expect(isPrunable('/c/node_modules/zod/index.d.cts')).toBe(true);
    expect(isPrunable('/c/node_modules/jose/dist/index.js.map')).toBe(true);
    expect(isPrunable('/c/node_modules/jose/README.md')).toBe(true);
    expect(isPrunable('/c/node_modules/jose/dist/index.js')).toBe(false);
    expect(isPrunable('/c/node_modules/zod/index.cjs')).toBe(false);
    expect(isPrunable('/c/node_modules/fastify/types/route.ts')).toBe(false);
  });
});

describe('docker-compose.yml', () => {
  it('uses the image tags that setup builds', async () => {
    const refs = imageRefs(await packageVersion());
    expect(compose.services['issuer']?.image).toBe(refs.reference);
    expect(compose.services['toxiproxy']?.image).toBe(refs.toxiproxy);
    expect(compose.services['rs']?.image).toBe(refs.reference);
    expect(compose.services['k6']?.image).toBe(refs.k6);
  });

  it('keeps k6 behind the load profile and gives the servers HTTP healthchecks', () => {
    const services = compose.services as Record<
      string,
      ComposeService & { profiles?: string[]; healthcheck?: { test: string[] } }
    >;
    expect(services['k6']?.profiles).toEqual(['load']);
    for (const name of ['issuer', 'rs'])
      expect(services[name]?.healthcheck?.test.join(' ')).toMatch(/fetch\('http:\/\/127\.0\.0\.1:\d+\/health'\)/);
  });

  it('publishes every port on 127.0.0.1 only', () => {
    const ports = Object.values(compose.services).flatMap((service) => service.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:/);
  });

  it('has no default for any secret: Compose refuses to start without them', () => {
    const environment = compose.services['issuer']?.environment ?? {};
    for (const name of secretNames) expect(environment[name]).toMatch(new RegExp(`^\\$\\{${name}:\\?`));
  });

  it('puts the proxy in front of the issuer and names the proxy address as the issuer identifier', () => {
    const proxies = JSON.parse(readFileSync(join(containersDir, 'toxiproxy.json'), 'utf8'));
    expect(proxies).toEqual([
      { name: 'issuer', listen: '0.0.0.0:9401', upstream: 'issuer:9400', enabled: true },
      { name: 'jwks', listen: '0.0.0.0:9402', upstream: 'issuer:9400', enabled: true },
      { name: 'revocation-events', listen: '0.0.0.0:9403', upstream: 'issuer:9400', enabled: true },
      { name: 'introspection', listen: '0.0.0.0:9404', upstream: 'issuer:9400', enabled: true },
    ]);
    expect(compose.services['toxiproxy']?.ports).toContain('127.0.0.1:${TOKENPROOF_PROXY_PORT:-9401}:9401');
    expect(compose.services['issuer']?.environment?.['TOKENPROOF_ISSUER_URL']).toBe(
      'http://127.0.0.1:${TOKENPROOF_PROXY_PORT:-9401}',
    );
    expect(compose.services['issuer']?.command).toEqual(
      expect.arrayContaining(['serve', 'issuer', '--host', '0.0.0.0', '--config', '/config/issuer.yaml']),
    );
  });
});

describe('the container issuer config', () => {
  const file = join(containersDir, 'issuer.yaml');
  const env = Object.fromEntries([
    ...secretNames.map((name) => [name, randomBytes(16).toString('hex')]),
    ['TOKENPROOF_ISSUER_URL', 'http://127.0.0.1:9401'],
  ]);

  it('is a valid issuer config once the environment provides the secrets', () => {
    const config = loadYamlFile(file, issuerConfigSchema, { env });
    expect(config.issuer).toBe('http://127.0.0.1:9401');
    expect(config.clients.map((client) => client.id)).toEqual(['primary', 'secondary', 'spa']);
  });

  it('names the missing variable when a secret is not set', () => {
    const { TOKENPROOF_PRIMARY_SECRET: _unset, ...partial } = env;
    expect(() => loadYamlFile(file, issuerConfigSchema, { env: partial })).toThrow(ConfigError);
    expect(() => loadYamlFile(file, issuerConfigSchema, { env: partial })).toThrow(/TOKENPROOF_PRIMARY_SECRET/);
  });
});

describe('targets/compose.yaml', () => {
  it('is a valid profile of the compose stack: the issuer through the proxy, the RS replicas trusting it', () => {
    const env = Object.fromEntries(secretNames.map((name) => [name, randomBytes(16).toString('hex')]));
    const { profile } = loadProfile(join(repoRoot, 'targets', 'compose.yaml'), env);
    expect(profile.issuer?.url).toBe('http://127.0.0.1:9401');
    expect(profile.issuer?.admin?.rotateKeys?.url).toBe('http://127.0.0.1:9400/admin/keys/rotate');
    expect(profile.resourceServer).toMatchObject({
      url: 'http://127.0.0.1:9500/protected',
      audience: 'api://reference',
      trusts: 'issuer',
    });
  });

  it('names the resource-server config the compose RS runs, valid once the issuer URL is set', () => {
    const config = loadYamlFile(join(containersDir, 'resource-server.yaml'), resourceServerConfigSchema, {
      env: { TOKENPROOF_ISSUER_URL: 'http://127.0.0.1:9401' },
    });
    expect(config.issuer).toBe('http://127.0.0.1:9401');
    expect(config.jwksUri).toBe('http://toxiproxy:9402/jwks');
    expect(config.revocationEvents.url).toBe('http://toxiproxy:9403/events/revocations');
  });
});

describe('ensureDockerEngine', () => {
  it('says what to install when there is no docker command', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = join(repoRoot, 'harness', 'env', 'containers'); // exists, holds no docker
    try {
      await expect(ensureDockerEngine()).rejects.toThrow(EnvironmentError);
      await expect(ensureDockerEngine()).rejects.toThrow(/docker command line is not installed[\s\S]*fix: .*docker\.io/);
    } finally {
      process.env['PATH'] = path;
    }
  });

  it('does not start a local dockerd when DOCKER_HOST points elsewhere', async () => {
    const dockerHost = process.env['DOCKER_HOST'];
    process.env['DOCKER_HOST'] = 'unix:///nonexistent/tokenproof-test.sock';
    try {
      await expect(ensureDockerEngine()).rejects.toThrow(/no Docker engine answers at DOCKER_HOST=unix:\/\/\/nonexistent/);
    } finally {
      if (dockerHost === undefined) delete process.env['DOCKER_HOST'];
      else process.env['DOCKER_HOST'] = dockerHost;
    }
  });
});

describe('the reference stack in Docker (docker-compose.yml)', () => {
  it('serves the issuer through toxiproxy, a disabled proxy cuts clients off, two RS replicas validate and drop revoked tokens, k6 loads them', {
    timeout: 20 * 60_000,
  }, async (ctx) => {
    // Outside CI a machine without Docker skips; under CI=true nothing skips, so a missing
    // engine or Compose fails here with the EnvironmentError that says what to install.
    if (process.env['CI'] !== 'true' && (await findOnPath('docker')) === undefined) {
      ctx.skip('docker is not installed (apt-get install docker.io docker-compose, then `tokenproof setup --containers`)');
    }
    const log = (line: string) => process.stdout.write(`[containers] ${line}\n`);
    const started = performance.now();
    await ensureDockerEngine({ log });
    const { command } = await ensureDockerCompose({ log });
    const images = await buildBaseImages({ log });
    log(
      `images ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${images.map((i) => `${i.ref} ${i.action}`).join(', ')}`,
    );

    const [proxyPort, issuerPort, toxiproxyPort] = [await freePort(), await freePort(), await freePort()];
    const secret = () => randomBytes(24).toString('base64url');
    const stackEnv = {
      TOKENPROOF_PROXY_PORT: String(proxyPort),
      TOKENPROOF_ISSUER_PORT: String(issuerPort),
      TOKENPROOF_TOXIPROXY_PORT: String(toxiproxyPort),
      // Any free port per RS replica (the default range 9500-9509 may be taken here).
      TOKENPROOF_RS_PORTS: '',
      TOKENPROOF_ADMIN_TOKEN: secret(),
      TOKENPROOF_PRIMARY_SECRET: secret(),
      TOKENPROOF_SECONDARY_SECRET: secret(),
      TOKENPROOF_ALICE_PASSWORD: secret(),
    };
    const project = `tokenproof-test-${process.pid}-${randomBytes(3).toString('hex')}`;
    const composeRun = (args: string[]) =>
      runCommand(command[0]!, [...command.slice(1), '--project-name', project, '--file', composeFile, ...args], {
        env: { ...process.env, ...stackEnv },
        timeoutMs: 5 * 60_000,
      });

    const proxyUrl = `http://127.0.0.1:${proxyPort}`;
    const toxiproxyApi = `http://127.0.0.1:${toxiproxyPort}`;
    const primary = { method: 'client_secret_basic' as const, clientId: 'primary', secret: stackEnv.TOKENPROOF_PRIMARY_SECRET };
    const clientCredentials = () =>
      tokenRequest(`${proxyUrl}/token`, { grant_type: 'client_credentials', scope: 'read' }, primary);
    const setProxyEnabled = async (enabled: boolean) => {
      const response = await fetch(`${toxiproxyApi}/proxies/issuer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ enabled }),
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { enabled: boolean }).enabled).toBe(enabled);
    };

    let down: Awaited<ReturnType<typeof composeRun>> | undefined;
    try {
      const up = await composeRun(['up', '--detach', '--no-build', '--scale', 'rs=2']);
      expect(up.ok, `docker-compose up failed:\n${up.stderr}`).toBe(true);

      const discovery = await pollUntil(60_000, async () => {
        const response = await fetch(`${proxyUrl}/.well-known/openid-configuration`);
        return response.ok ? ((await response.json()) as { issuer: string; token_endpoint: string }) : undefined;
      });
      // The identifier is the address clients use (the proxy), not the container's own.
      expect(discovery.issuer).toBe(proxyUrl);
      expect(discovery.token_endpoint).toBe(`${proxyUrl}/token`);

      const granted = await clientCredentials();
      expect(granted.status).toBe(200);
      expect(decodeJwt(granted.body.access_token ?? '').iss).toBe(proxyUrl);

      await setProxyEnabled(false);
      // Only the status reaches the assertion: a failure message must never print a token.
      await expect(clientCredentials().then((answer) => `HTTP ${answer.status}`)).rejects.toThrow(/fetch failed/);
      // The issuer itself is still up: the outage is the proxy's doing.
      expect((await fetch(`http://127.0.0.1:${issuerPort}/health`)).status).toBe(200);

      await setProxyEnabled(true);
      const recovered = await pollUntil(10_000, async () => {
        const answer = await clientCredentials();
        return answer.status === 200 ? answer : undefined;
      });
      expect(decodeJwt(recovered.body.access_token ?? '').iss).toBe(proxyUrl);

      // Both RS replicas accept an issuer token (keys fetched through the jwks proxy), and both
      // refuse it once revoked (the revocation events reach each through its proxy).
      const replicas: string[] = [];
      for (const index of [1, 2]) {
        const port = await composeRun(['port', '--index', String(index), 'rs', '9500']);
        expect(port.ok, port.stderr).toBe(true);
        replicas.push(`http://${port.stdout.trim()}/protected`);
      }
      expect(new Set(replicas).size).toBe(2);
      const forRs = await tokenRequest(
        `${proxyUrl}/token`,
        { grant_type: 'client_credentials', resource: 'api://reference' },
        primary,
      );
      const accessToken = forRs.body.access_token ?? '';
      const statusAt = async (url: string) => {
        const response = await fetch(url, {
          headers: { authorization: `Bearer ${accessToken}` },
          signal: AbortSignal.timeout(10_000),
        });
        await response.body?.cancel();
        return response.status;
      };
      for (const url of replicas)
        expect(await pollUntil(60_000, async () => ((await statusAt(url)) === 200 ? 200 : undefined))).toBe(200);
      const revoked = await postForm(`${proxyUrl}/revoke`, { token: accessToken }, primary);
      expect(revoked.status).toBe(200);
      for (const url of replicas)
        expect(await pollUntil(10_000, async () => ((await statusAt(url)) === 401 ? 401 : undefined))).toBe(401);

      // The k6 service (profile `load`) runs its validation script against the replicas.
      const k6 = await composeRun([
        '--profile',
        'load',
        'run',
        '--rm',
        '-e',
        'TOKENPROOF_DURATION=3s',
        '-e',
        'TOKENPROOF_RATE=20',
        'k6',
      ]);
      expect(k6.ok, `k6 failed:\n${k6.stdout.slice(-2000)}${k6.stderr.slice(-2000)}`).toBe(true);
      expect(k6.stdout).toMatch(/a valid token is accepted/);
    } catch (error) {
      const logs = await composeRun(['logs', '--no-color', '--tail', '40']);
      process.stderr.write(`[containers] docker-compose logs:\n${logs.stdout}${logs.stderr}\n`);
      throw error;
    } finally {
      down = await composeRun(['down', '--volumes', '--remove-orphans']);
      log(`stack up and down in ${((performance.now() - started) / 1000).toFixed(1)} s (images included)`);
    }
    expect(down.ok, `docker-compose down failed:\n${down.stderr}`).toBe(true);
  });
});

/** Calls `attempt` until it returns a value, with a deadline; errors (connection refused while starting) count as "not yet". */
async function pollUntil<T>(deadlineMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const started = performance.now();
  let last: unknown;
  while (performance.now() - started < deadlineMs) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not ready within ${deadlineMs / 1000} s${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
