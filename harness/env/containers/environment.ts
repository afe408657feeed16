/**
 * The containers environment (DESIGN.md "Environments"): the reference stack in Docker, started
 * with testcontainers on a user-defined bridge network the run creates:
 *
 *   issuer       tokenproof/reference `serve issuer`, published on 127.0.0.1:<free port>; that
 *                address is its issuer identifier, so the harness and the browser login use it
 *   toxiproxy    one proxy per link (jwks, revocation-events, introspection, token) to the issuer,
 *                so the issuer-trusting resource servers reach the issuer only through it and a
 *                game day's faults act on the same links as in the embedded stack
 *   rs-1..rs-N   reference resource servers that trust the issuer (--rs-replicas N), every one
 *                listed in profile.propagation so V08 measures each replica
 *   rs-forged    a reference resource server that trusts the harness test issuer (rs-claims)
 *
 * The harness test issuer stays in this process and listens on the network's gateway address
 * only (the host's end of the bridge, no other interface): the forged-token checks observe it
 * live (every JWKS fetch, requests held open by the hang/slow modes, the attacker's fetch
 * listener, keys rotated and removed mid-check), and a copy of it inside a container would turn
 * each of those into a remote protocol with its own races. The cost: the engine must run on
 * this host (a Linux engine, not a remote DOCKER_HOST or Docker Desktop's VM, where the gateway is
 * not a local address); a start checks that the forged-token RS really reaches the test issuer
 * and says so when it does not.
 *
 * Nothing is pulled (chooseImages), Ryuk is off and run-resources.ts removes what the run
 * created, at the end, on Ctrl-C and at exit.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { getContainerRuntimeClient, type StartedTestContainer, Wait } from 'testcontainers';
import { stringify } from 'yaml';
import { EnvironmentError } from '../../lib/errors.ts';
import type { Profile } from '../../profile/schema.ts';
import type { ResourceServerConfigInput } from '../../reference/resource-server/config.ts';
import { type RunningTestIssuer, startHarnessIssuer } from '../../test-issuer/server.ts';
import { audience, embeddedIssuerConfig, testAudience, testScope } from '../embedded.ts';
import { freePort } from '../free-port.ts';
import { createJwtClientKey, referenceStackProfile, type StackSecrets, testResourceServerConfig } from '../reference-profile.ts';
import { type ContainersChaos, containersChaos } from './chaos.ts';
import { ensureDockerEngine } from './docker.ts';
import { type ChosenImages, chooseImages, describeImages } from './image-choice.ts';
import { LoopbackContainer } from './loopback-container.ts';
import { type RunResources, sweepOrphans, trackRunResources } from './run-resources.ts';

/** Where each server listens inside its container (the host side is a free loopback port). */
const issuerPort = 9400;
const resourceServerPort = 9500;
const toxiproxyApiPort = 8474;
/** The links of harness/faults (game days name them), each its own toxiproxy listener. */
export const linkPorts = { jwks: 9401, 'revocation-events': 9402, introspection: 9403, token: 9404 } as const;
export type ContainerLink = keyof typeof linkPorts;
/** A chaos run's proxy in front of the harness test issuer (the forged-token RS's JWKS). */
const testJwksProxy = 'test-jwks';
const testJwksPort = 9405;
const startupTimeoutMs = 60_000;
const revocationEventsPath = '/events/revocations';

export interface ContainersOptions {
  /** Folder for the container logs. */
  workDir: string;
  /** Reference resource servers that trust the issuer (default 1). */
  rsReplicas?: number;
  /** A chaos run: the forged-token RS fetches its JWKS through toxiproxy, and `chaos` drives it. */
  chaos?: boolean;
  log?: (line: string) => void;
}

export interface StackContainer {
  /** Its role: issuer, toxiproxy, rs-1, ..., rs-forged. */
  role: string;
  /** The container's name, also its DNS name on the run's network. */
  name: string;
  id: string;
  image: string;
  /** http://127.0.0.1:<port> where the harness reaches it. */
  url: string;
}

export interface ContainersStack {
  id: string;
  profile: Profile;
  testIssuer: RunningTestIssuer;
  network: { name: string; id: string; gateway: string };
  containers: StackContainer[];
  images: ChosenImages;
  /** The toxiproxy between the issuer-trusting RSes and the issuer: its API, and one proxy per link. */
  toxiproxy: { url: string; proxies: Record<ContainerLink, string> };
  /** Base URLs of the issuer-trusting resource servers, one per replica. */
  replicas: string[];
  credentials: Record<string, string>;
  /** A chaos run's links and subjects (harness/faults), on this stack's toxiproxy. */
  chaos?: ContainersChaos;
  stop(): Promise<void>;
}

function secret(): string {
  return randomBytes(24).toString('base64url');
}

export async function startContainers(options: ContainersOptions): Promise<ContainersStack> {
  const replicas = options.rsReplicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) {
    throw new EnvironmentError(`--rs-replicas ${replicas} is out of range`, 'give 1 to 16 resource-server replicas');
  }
  const log = options.log ?? (() => {});
  // Ryuk needs an image from a registry; run-resources.ts does its job. testcontainers reads these on first use.
  process.env['TESTCONTAINERS_RYUK_DISABLED'] = 'true';
  // The published ports listen on 127.0.0.1 only (LoopbackContainer): wait strategies must ask there.
  process.env['TESTCONTAINERS_HOST_OVERRIDE'] ??= '127.0.0.1';
  await ensureDockerEngine({ log });
  const images = await chooseImages({ log });
  log(`containers: ${describeImages(images)}`);
  await sweepOrphans(log);

  mkdirSync(options.workDir, { recursive: true });
  const id = randomBytes(4).toString('hex');
  const resources = trackRunResources(id);
  let testIssuer: RunningTestIssuer | undefined;
  let chaos: ContainersChaos | undefined;
  // The private_key_jwt client's key: the private half stays on this host (the harness signs), the issuer gets the public JWK.
  const jwtClientKey = createJwtClientKey();
  const stop = async () => {
    try {
      // Faults first: whatever else fails, nothing stays broken.
      await chaos?.stop().catch(() => undefined);
      await resources.remove();
      await testIssuer?.close();
    } finally {
      jwtClientKey.dispose();
      resources.release();
    }
  };
  try {
    const network = await createNetwork(id, resources);
    log(`containers: network ${network.name} (gateway ${network.gateway})`);
    // Listening on the gateway only: reachable from this run's containers and this host, from nowhere else.
    testIssuer = await startHarnessIssuer({ host: network.gateway, audience: testAudience, scope: testScope });
    log(`harness test issuer at ${testIssuer.url} (the network's gateway address)`);

    const secrets: StackSecrets = {
      TOKENPROOF_ADMIN_TOKEN: secret(),
      TOKENPROOF_PRIMARY_SECRET: secret(),
      TOKENPROOF_SECONDARY_SECRET: secret(),
      TOKENPROOF_ALICE_PASSWORD: secret(),
    };
    const names = {
      issuer: `tokenproof-${id}-issuer`,
      toxiproxy: `tokenproof-${id}-toxiproxy`,
      replica: (index: number) => `tokenproof-${id}-rs-${index}`,
      forged: `tokenproof-${id}-rs-forged`,
    };
    const issuerUrl = `http://127.0.0.1:${await freePort()}`;
    const loginRedirectUri = `http://127.0.0.1:${await freePort()}/callback`;
    const through = (link: ContainerLink, path: string) => `http://${names.toxiproxy}:${linkPorts[link]}${path}`;

    const common = { network: network.name, labels: resources.labels, workDir: options.workDir, log };
    const issuerConfig = {
      ...embeddedIssuerConfig(issuerPort, loginRedirectUri, jwtClientKey.publicJwk),
      issuer: issuerUrl,
      host: '0.0.0.0',
    };
    const toxiproxyConfig = [
      ...Object.entries(linkPorts).map(([link, port]) => ({
        name: link,
        listen: `0.0.0.0:${port}`,
        upstream: `${names.issuer}:${issuerPort}`,
        enabled: true,
      })),
      // A chaos run: the forged-token RS reaches the test issuer (on the gateway) through toxiproxy too.
      ...(options.chaos
        ? [
            {
              name: testJwksProxy,
              listen: `0.0.0.0:${testJwksPort}`,
              upstream: `${network.gateway}:${testIssuer.port}`,
              enabled: true,
            },
          ]
        : []),
    ];
    // A chaos run: the token proxy is published, the load clients' way to the issuer (the `token` link).
    const tokenProxyUrl = options.chaos ? `http://127.0.0.1:${await freePort()}` : undefined;
    const [issuer, toxiproxy] = await Promise.all([
      startContainer(common, {
        role: 'issuer',
        name: names.issuer,
        image: images.reference.ref,
        command: ['serve', 'issuer', '--port', String(issuerPort), '--host', '0.0.0.0', '--config', '/config/issuer.yaml'],
        environment: { ...secrets },
        files: { '/config/issuer.yaml': stringify(issuerConfig) },
        port: issuerPort,
        hostUrl: issuerUrl,
        health: '/health',
      }),
      startContainer(common, {
        role: 'toxiproxy',
        name: names.toxiproxy,
        image: images.toxiproxy.ref,
        command: ['-host', '0.0.0.0', '-port', String(toxiproxyApiPort), '-config', '/config/toxiproxy.json'],
        environment: { LOG_LEVEL: 'warn' },
        files: { '/config/toxiproxy.json': JSON.stringify(toxiproxyConfig) },
        port: toxiproxyApiPort,
        hostUrl: `http://127.0.0.1:${await freePort()}`,
        ...(tokenProxyUrl && { alsoPublished: [{ container: linkPorts.token, host: Number(new URL(tokenProxyUrl).port) }] }),
        health: '/version',
      }),
    ]);

    const replicaConfig = (publicUrl: string): ResourceServerConfigInput => ({
      issuer: issuerUrl,
      audience,
      publicUrl,
      jwksUri: through('jwks', '/jwks'),
      revocationEvents: { url: through('revocation-events', revocationEventsPath) },
      // As `serve resource-server --issuer --audience` does for the embedded stack's RS.
      resourceMetadata: {},
    });
    const rsStarts = Array.from({ length: replicas }, async (_, index) => {
      const hostUrl = `http://127.0.0.1:${await freePort()}`;
      return startContainer(common, {
        role: `rs-${index + 1}`,
        name: names.replica(index + 1),
        image: images.reference.ref,
        command: resourceServerCommand(),
        environment: {},
        files: { '/config/resource-server.yaml': stringify(replicaConfig(hostUrl)) },
        port: resourceServerPort,
        hostUrl,
        health: '/health',
      });
    });
    const forgedUrl = `http://127.0.0.1:${await freePort()}`;
    const testJwksOrigin = `http://${names.toxiproxy}:${testJwksPort}`;
    const forgedConfig: ResourceServerConfigInput = {
      ...testResourceServerConfig(testIssuer),
      publicUrl: forgedUrl,
      ...(options.chaos && { jwksUri: `${testJwksOrigin}${new URL(testIssuer.jwksUri).pathname}` }),
    };
    const forged = startContainer(common, {
      role: 'rs-forged',
      name: names.forged,
      image: images.reference.ref,
      command: resourceServerCommand(),
      environment: {},
      files: { '/config/resource-server.yaml': stringify(forgedConfig) },
      port: resourceServerPort,
      hostUrl: forgedUrl,
      health: '/health',
    });
    const resourceServers = await Promise.all([...rsStarts, forged]);
    const containers = [issuer, toxiproxy, ...resourceServers];
    const replicaUrls = resourceServers.filter((rs) => rs.role !== 'rs-forged').map((rs) => rs.url);
    await assertTestIssuerReachable(testIssuer, forgedUrl, network.gateway);

    const profile = referenceStackProfile({
      name: `reference stack in containers (${replicas} RS ${replicas === 1 ? 'replica' : 'replicas'})`,
      issuerUrl,
      secrets,
      loginRedirectUri,
      testResourceServerUrl: forgedUrl,
      propagationUrls: replicaUrls,
      jwtClientKeyFile: jwtClientKey.privateKeyFile,
    });
    if (tokenProxyUrl) {
      const inNetwork = (link: ContainerLink) => ({ name: link, listenOrigin: through(link, '') });
      chaos = await containersChaos({
        toxiproxyUrl: toxiproxy.url,
        jwksProxy: { name: testJwksProxy, listenOrigin: testJwksOrigin },
        issuerProxies: {
          jwks: inNetwork('jwks'),
          'revocation-events': inNetwork('revocation-events'),
          introspection: inNetwork('introspection'),
          token: { name: 'token', listenOrigin: tokenProxyUrl },
        },
        issuerUrl,
        adminToken: secrets.TOKENPROOF_ADMIN_TOKEN,
        secondarySecret: secrets.TOKENPROOF_SECONDARY_SECRET,
        audience,
        propagationUrl: replicaUrls[0]!,
        // A game day's own RS (the introspection subject): one more container, listed and removed with the run.
        async startResourceServer(role, config, environment) {
          const hostUrl = `http://127.0.0.1:${await freePort()}`;
          const started = await startContainer(common, {
            role,
            name: `tokenproof-${id}-${role}`,
            image: images.reference.ref,
            command: resourceServerCommand(),
            environment,
            files: { '/config/resource-server.yaml': stringify({ ...config, publicUrl: hostUrl }) },
            port: resourceServerPort,
            hostUrl,
            health: '/health',
          });
          containers.push(started);
          return hostUrl;
        },
        testIssuer,
        profile,
        logDir: options.workDir,
        log,
      });
    }
    return {
      id,
      profile,
      ...(chaos && { chaos }),
      testIssuer,
      network,
      containers,
      images,
      toxiproxy: {
        url: toxiproxy.url,
        proxies: Object.fromEntries(Object.keys(linkPorts).map((link) => [link, link])) as Record<ContainerLink, string>,
      },
      replicas: replicaUrls,
      credentials: {
        ...secrets,
        issuer: issuerUrl,
        resourceServer: replicaUrls[0]!,
        testResourceServer: forgedUrl,
        toxiproxy: toxiproxy.url,
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function resourceServerCommand(): string[] {
  return [
    'serve',
    'resource-server',
    '--port',
    String(resourceServerPort),
    '--host',
    '0.0.0.0',
    '--config',
    '/config/resource-server.yaml',
  ];
}

async function createNetwork(id: string, resources: RunResources): Promise<{ name: string; id: string; gateway: string }> {
  const client = await getContainerRuntimeClient();
  const name = `tokenproof-${id}`;
  const network = await client.network.create({
    Name: name,
    CheckDuplicate: true,
    Driver: 'bridge',
    Labels: resources.labels,
  });
  const inspected = (await network.inspect()) as { IPAM?: { Config?: { Gateway?: string }[] } };
  const gateway = inspected.IPAM?.Config?.find((config) => config.Gateway)?.Gateway;
  if (!gateway) {
    throw new EnvironmentError(
      `the Docker network ${name} has no IPv4 gateway`,
      "check the engine's default address pools (`docker network create` needs a free IPv4 range)",
    );
  }
  return { name, id: network.id, gateway };
}

interface ContainerSpec {
  role: string;
  name: string;
  image: string;
  command: string[];
  environment: Record<string, string>;
  /** Files copied in before the start (configs), path → content. Read-only. */
  files: Record<string, string>;
  port: number;
  /** http://127.0.0.1:<free port>: the port is published there. */
  hostUrl: string;
  /** More container ports published on 127.0.0.1 (the host port a free one). */
  alsoPublished?: { container: number; host: number }[];
  /** An HTTP path that answers 200 once the server is ready: the images have no shell for port checks. */
  health: string;
}

async function startContainer(
  common: { network: string; labels: Record<string, string>; workDir: string; log: (line: string) => void },
  spec: ContainerSpec,
): Promise<StackContainer> {
  const hostPort = Number(new URL(spec.hostUrl).port);
  const logFile = join(common.workDir, `${spec.role}.log`);
  common.log(`containers: starting ${spec.role} (${spec.image}) on ${spec.hostUrl}`);
  let started: StartedTestContainer;
  try {
    const container = new LoopbackContainer(spec.image);
    for (const extra of spec.alsoPublished ?? []) container.withLoopbackPort(extra.container, extra.host);
    started = await container
      .withName(spec.name)
      // The run's network only (not the default bridge): its name is the container's DNS name there.
      .withNetworkMode(common.network)
      .withLabels(common.labels)
      .withCommand(spec.command)
      .withEnvironment(spec.environment)
      .withCopyContentToContainer(Object.entries(spec.files).map(([target, content]) => ({ content, target, mode: 0o444 })))
      .withLoopbackPort(spec.port, hostPort)
      .withWaitStrategy(Wait.forHttp(spec.health, spec.port).forStatusCode(200))
      .withStartupTimeout(startupTimeoutMs)
      .withLogConsumer((stream: Readable) => stream.pipe(createWriteStream(logFile, { flags: 'a' })))
      .start();
  } catch (error) {
    throw new EnvironmentError(
      `the ${spec.role} container (${spec.image}) did not become ready: ${firstLine((error as Error).message)}`,
      `read ${logFile}; \`tokenproof setup --containers\` rebuilds the images from the current sources`,
    );
  }
  return { role: spec.role, name: spec.name, id: started.getId(), image: spec.image, url: spec.hostUrl };
}

/**
 * The forged-token RS must fetch the test issuer's JWKS across the bridge. A token the test issuer
 * signs with a published key is accepted only when that fetch worked, so one request proves the
 * path (a host firewall dropping bridge traffic, or an engine on another machine, would not).
 */
async function assertTestIssuerReachable(testIssuer: RunningTestIssuer, rsUrl: string, gateway: string): Promise<void> {
  const token = testIssuer.forger.accessToken();
  let status: number | string;
  try {
    const response = await fetch(`${rsUrl}/protected`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15_000),
    });
    await response.body?.cancel();
    status = response.status;
  } catch (error) {
    status = (error as Error).name;
  }
  if (status === 200 && testIssuer.jwksFetches.count() > 0) return;
  throw new EnvironmentError(
    `the resource server container could not use the harness test issuer at ${testIssuer.url} (a valid forged token got ${status}, ${testIssuer.jwksFetches.count()} JWKS fetches)`,
    `containers must reach the host on the network's gateway ${gateway}: allow it in the host firewall (e.g. \`iptables -I INPUT -s ${gateway}/16 -j ACCEPT\`), and use a Docker engine on this machine (not a remote DOCKER_HOST or Docker Desktop)`,
  );
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? text;
}
