/**
 * The embedded environment: the reference stack as local processes on 127.0.0.1 with free
 * ports: the reference issuer, a reference resource server that trusts it (revocation
 * propagation, V08), and a second one that trusts the harness test issuer (started here, in
 * process) for the forged-token suites. Secrets are generated per start and reach the processes only through their
 * environment (the config file on disk holds ${ENV} references), and the checks through an
 * in-memory profile.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ChaosEnvironment } from '../faults/chaos-environment.ts';
import { embeddedChaosSubjects } from '../faults/embedded-subjects.ts';
import type { FaultLink, ToxiproxyServer } from '../faults/toxiproxy.ts';
import type { Profile } from '../profile/schema.ts';
import type { IssuerConfigInput } from '../reference/issuer/config.ts';
import type { ResourceServerConfigInput } from '../reference/resource-server/config.ts';
import { type RunningTestIssuer, startHarnessIssuer } from '../test-issuer/server.ts';
import { repoRoot } from '../tools/paths.ts';
import { freePort } from './free-port.ts';
import { type LaunchedProcess, launch } from './launch.ts';
import {
  audience,
  createJwtClientKey,
  jwtClientId,
  referenceStackProfile,
  testAudience,
  testResourceServerConfig,
  testScope,
} from './reference-profile.ts';

const cliMain = join(repoRoot, 'harness', 'cli', 'main.ts');
const redirectUri = 'http://127.0.0.1:9499/callback';
const tokenExchange = 'urn:ietf:params:oauth:grant-type:token-exchange';

// The stack's names live with its profile (reference-profile.ts); re-exported for the callers that import them from here.
export { audience, jwtClientId, testAudience, testScope } from './reference-profile.ts';

export interface EmbeddedStack {
  profile: Profile;
  processes: LaunchedProcess[];
  /** The harness test issuer the forged-token resource server trusts (in this process). */
  testIssuer: RunningTestIssuer;
  /** Credentials of the demo clients and user, for `tokenproof up` to hand to a person. */
  credentials: Record<string, string>;
  /** A chaos run's links and subjects (present when options.toxiproxy was given). */
  chaos?: ChaosEnvironment;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder for the generated configs and process logs. */
  workDir: string;
  log?: (line: string) => void;
  /** A chaos run: the RSs reach their issuers through this toxiproxy (harness/faults). */
  toxiproxy?: ToxiproxyServer;
}

function secret(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * `harnessRedirectUri`: the harness's own login callback, on a free port (a fixed one can collide).
 * `jwtClientJwk`: the public key of the private_key_jwt client, when the stack has one.
 */
export function embeddedIssuerConfig(
  port: number,
  harnessRedirectUri = redirectUri,
  jwtClientJwk?: Record<string, unknown>,
): IssuerConfigInput {
  const redirectUris = [...new Set([redirectUri, harnessRedirectUri])];
  const grants = ['client_credentials', 'authorization_code', 'refresh_token', tokenExchange] as const;
  return {
    port,
    adminToken: '${TOKENPROOF_ADMIN_TOKEN}',
    resources: ['api://default', 'api://reference'],
    clients: [
      {
        id: 'primary',
        secret: '${TOKENPROOF_PRIMARY_SECRET}',
        scopes: ['openid', 'read', 'write'],
        grantTypes: [...grants],
        redirectUris,
      },
      {
        id: 'secondary',
        secret: '${TOKENPROOF_SECONDARY_SECRET}',
        scopes: ['openid', 'read', 'write'],
        grantTypes: [...grants],
        redirectUris,
      },
      {
        id: 'spa',
        auth: 'none',
        scopes: ['openid', 'read'],
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris,
      },
      ...(jwtClientJwk
        ? [
            {
              id: jwtClientId,
              auth: 'private_key_jwt' as const,
              jwks: { keys: [jwtClientJwk] },
              scopes: ['read'],
              grantTypes: ['client_credentials' as const],
            },
          ]
        : []),
    ],
    users: [
      { username: 'alice', password: '${TOKENPROOF_ALICE_PASSWORD}', sub: 'user-alice', claims: { name: 'Alice Example' } },
    ],
  };
}

export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedStack> {
  mkdirSync(options.workDir, { recursive: true });
  const env = {
    TOKENPROOF_ADMIN_TOKEN: secret(),
    TOKENPROOF_PRIMARY_SECRET: secret(),
    TOKENPROOF_SECONDARY_SECRET: secret(),
    TOKENPROOF_ALICE_PASSWORD: secret(),
  };
  const issuerPort = await freePort();
  const issuerUrl = `http://127.0.0.1:${issuerPort}`;
  const issuerConfigFile = join(options.workDir, 'issuer.yaml');
  const loginRedirectUri = `http://127.0.0.1:${await freePort()}/callback`;
  // The private_key_jwt client's key pair: the private half in an owner-only temporary folder
  // (never in the reports) removed on stop; the issuer gets the public half.
  const jwtClientKey = createJwtClientKey();
  writeFileSync(issuerConfigFile, stringify(embeddedIssuerConfig(issuerPort, loginRedirectUri, jwtClientKey.publicJwk)));
  options.log?.(`starting the reference issuer on ${issuerUrl}`);
  const issuer = await launch({
    name: 'reference issuer',
    command: [process.execPath, cliMain, 'serve', 'issuer', '--port', String(issuerPort), '--config', issuerConfigFile],
    env,
    ready: `${issuerUrl}/health`,
    readyTimeoutMs: 30_000,
    logFile: join(options.workDir, 'issuer.log'),
  });
  const processes = [issuer];
  const rsPort = await freePort();
  const rsUrl = `http://127.0.0.1:${rsPort}`;
  options.log?.(`starting the reference resource server on ${rsUrl}`);
  let propagationLinks: { jwks: FaultLink; events: FaultLink } | undefined;
  try {
    // A chaos run: this RS (V08's) reaches its issuer's JWKS and revocation events through toxiproxy.
    const rsConfigArgs: string[] = [];
    if (options.toxiproxy) {
      propagationLinks = {
        jwks: await options.toxiproxy.addLink('propagation-jwks', issuerUrl),
        events: await options.toxiproxy.addLink('propagation-events', issuerUrl),
      };
      const rsConfigFile = join(options.workDir, 'resource-server.yaml');
      const rsConfig: ResourceServerConfigInput = {
        issuer: issuerUrl,
        audience,
        jwksUri: propagationLinks.jwks.proxied(`${issuerUrl}/jwks`),
        revocationEvents: { url: propagationLinks.events.proxied(`${issuerUrl}/events/revocations`), maxReconnectDelay: '1s' },
      };
      writeFileSync(rsConfigFile, stringify(rsConfig));
      rsConfigArgs.push('--config', rsConfigFile);
    }
    processes.push(
      await launch({
        name: 'reference resource server',
        command: [
          process.execPath,
          cliMain,
          'serve',
          'resource-server',
          '--port',
          String(rsPort),
          '--issuer',
          issuerUrl,
          '--audience',
          audience,
          ...rsConfigArgs,
        ],
        env: {},
        ready: `${rsUrl}/health`,
        readyTimeoutMs: 30_000,
        logFile: join(options.workDir, 'resource-server.log'),
      }),
    );
  } catch (error) {
    await issuer.stop();
    jwtClientKey.dispose();
    throw error;
  }
  let testIssuer: RunningTestIssuer | undefined;
  let jwksLink: FaultLink | undefined;
  const testRsPort = await freePort();
  const testRsUrl = `http://127.0.0.1:${testRsPort}`;
  try {
    testIssuer = await startHarnessIssuer({ audience: testAudience, scope: testScope });
    options.log?.(`harness test issuer at ${testIssuer.url}`);
    if (options.toxiproxy) jwksLink = await options.toxiproxy.addLink('jwks', testIssuer.jwksUri);
    const testRsConfigFile = join(options.workDir, 'resource-server-forged.yaml');
    const testRsConfig: ResourceServerConfigInput = {
      ...testResourceServerConfig(testIssuer),
      ...(jwksLink && { jwksUri: jwksLink.proxied(testIssuer.jwksUri) }),
    };
    writeFileSync(testRsConfigFile, stringify(testRsConfig));
    options.log?.(`starting the reference resource server for forged tokens on ${testRsUrl} (trusts the test issuer)`);
    processes.push(
      await launch({
        name: 'reference resource server (trusts the test issuer)',
        command: [
          process.execPath,
          cliMain,
          'serve',
          'resource-server',
          '--port',
          String(testRsPort),
          '--config',
          testRsConfigFile,
        ],
        env: {},
        ready: `${testRsUrl}/health`,
        readyTimeoutMs: 30_000,
        logFile: join(options.workDir, 'resource-server-forged.log'),
      }),
    );
  } catch (error) {
    await Promise.all(processes.map((process) => process.stop()));
    await testIssuer?.close();
    jwtClientKey.dispose();
    throw error;
  }
  const profile = referenceStackProfile({
    name: 'embedded reference stack',
    issuerUrl,
    secrets: env,
    loginRedirectUri,
    testResourceServerUrl: testRsUrl,
    propagationUrls: [rsUrl],
    jwtClientKeyFile: jwtClientKey.privateKeyFile,
  });
  const chaos: ChaosEnvironment | undefined =
    options.toxiproxy && jwksLink
      ? embeddedChaosSubjects({
          toxiproxy: options.toxiproxy,
          jwksLink,
          ...(propagationLinks && { propagation: { url: rsUrl, audience, ...propagationLinks } }),
          testIssuer,
          profile,
          issuerUrl,
          adminToken: env.TOKENPROOF_ADMIN_TOKEN,
          secondarySecret: env.TOKENPROOF_SECONDARY_SECRET,
          cliMain,
          workDir: options.workDir,
          ...(options.log && { log: options.log }),
        })
      : undefined;
  return {
    ...(chaos && { chaos }),
    profile,
    processes,
    testIssuer,
    credentials: { ...env, issuer: issuerUrl, resourceServer: rsUrl, testResourceServer: testRsUrl },
    async stop() {
      await chaos?.stop();
      await Promise.all(processes.map((process) => process.stop()));
      await testIssuer.close();
      jwtClientKey.dispose();
    },
  };
}
