/**
 * The chaos subjects of the embedded stack (a chaos run only; the plain stack is unchanged):
 * - jwt: the resource server that trusts the harness test issuer, its JWKS fetched through the
 *   `jwks` link; the test issuer's forger mints tokens with a skewed clock;
 * - introspection: one more reference resource server, in introspection mode against the
 *   reference issuer, its introspection calls and revocation-event stream through the
 *   `introspection` and `revocation-events` links; the issuer's admin clock skews it.
 * - propagation: the reference RS that trusts the reference issuer (V08's, profile.propagation),
 *   JWT mode, its JWKS and revocation events through the `jwks` and `revocation-events` links of
 *   its own (made before it starts, by harness/env/embedded.ts); the issuer's admin clock skews it.
 * Each has the `token` link: the load clients' way to the reference issuer (token endpoint,
 * introspection, revocation), which the chaos phase routes the k6 script's issuer calls through.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../env/free-port.ts';
import { type LaunchedProcess, launch } from '../env/launch.ts';
import { EnvironmentError } from '../lib/errors.ts';
import { type ClientAuth, type Fetcher, postForm, tokenRequest } from '../oauth/client.ts';
import type { Profile } from '../profile/schema.ts';
import type { ResourceServerConfigInput } from '../reference/resource-server/config.ts';
import type { RunningTestIssuer } from '../test-issuer/server.ts';
import type { ChaosEnvironment, ChaosSubject, SkewedIssuer } from './chaos-environment.ts';
import type { FaultLink, ToxiproxyServer } from './toxiproxy.ts';

/** Tokens minted under skew live 60 s, so 120 s behind puts their exp a minute in the past. */
const skewedTokenTtlSeconds = 60;
const bounded: Fetcher = (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(5000) });

export interface EmbeddedChaosRequest {
  toxiproxy: ToxiproxyServer;
  /** The link the test-issuer-trusting RS fetches its JWKS through (made before that RS starts). */
  jwksLink: FaultLink;
  testIssuer: RunningTestIssuer;
  /** V08's RS (trusts the reference issuer) and the links it reaches the issuer through. */
  propagation?: { url: string; audience: string; jwks: FaultLink; events: FaultLink };
  /** The embedded profile: the test RS, the reference issuer and its clients. */
  profile: Profile;
  issuerUrl: string;
  adminToken: string;
  /** The secret of the issuer client the introspection RS authenticates as (secondary). */
  secondarySecret: string;
  cliMain: string;
  workDir: string;
  log?: (line: string) => void;
}

export function embeddedChaosSubjects(request: EmbeddedChaosRequest): ChaosEnvironment {
  const processes: LaunchedProcess[] = [];
  let introspection: Promise<ChaosSubject> | undefined;
  // The load clients → the issuer: one proxy, made on first use, shared by the subjects.
  const tokenLink = () => request.toxiproxy.addLink('token', request.issuerUrl);
  return {
    toxiproxy: request.toxiproxy,
    subjects: {
      jwt: async () => jwtSubject(request, await tokenLink()),
      // Its own process: started only for a game day that loads it.
      introspection: () => {
        introspection ??= startIntrospectionSubject(request, processes, tokenLink);
        return introspection;
      },
      ...(request.propagation && { propagation: async () => propagationSubject(request, await tokenLink()) }),
    },
    notes: [],
    async stop() {
      await Promise.all(processes.map((process) => process.stop()));
    },
  };
}

function jwtSubject(request: EmbeddedChaosRequest, token: FaultLink): ChaosSubject {
  const { testIssuer, profile } = request;
  return {
    name: 'jwt',
    resourceServer: profile.resourceServer!,
    issuerUrl: testIssuer.url,
    links: { jwks: request.jwksLink, token },
    skew: forgerSkew(testIssuer),
    mintValid: async () => testIssuer.forger.accessToken(),
  };
}

/**
 * The reference RS in introspection mode for the `introspection` subject (embedded and containers):
 * introspection and revocation events through their links, credentials from
 * TOKENPROOF_SECONDARY_SECRET, caches long enough that the pool stays cached through a game day's
 * fault window.
 */
export function introspectionRsConfig(
  issuerUrl: string,
  audience: string,
  introspection: FaultLink,
  events: FaultLink,
): ResourceServerConfigInput {
  return {
    issuer: issuerUrl,
    audience,
    mode: 'introspection',
    introspection: {
      endpoint: introspection.proxied(`${issuerUrl}/introspect`),
      clientId: 'secondary',
      clientSecret: '${TOKENPROOF_SECONDARY_SECRET}',
      cacheTtl: '30s',
      negativeCacheTtl: '30s',
      timeout: '1s',
    },
    revocationEvents: { url: events.proxied(`${issuerUrl}/events/revocations`), maxReconnectDelay: '1s' },
  };
}

async function startIntrospectionSubject(
  request: EmbeddedChaosRequest,
  processes: LaunchedProcess[],
  tokenLink: () => Promise<FaultLink>,
): Promise<ChaosSubject> {
  const { toxiproxy, profile, issuerUrl } = request;
  const token = await tokenLink();
  const introspection = await toxiproxy.addLink('introspection', issuerUrl);
  const events = await toxiproxy.addLink('revocation-events', issuerUrl);
  const port = await freePort();
  const rsUrl = `http://127.0.0.1:${port}`;
  const audience = profile.propagation?.audience ?? 'api://reference';
  const config = introspectionRsConfig(issuerUrl, audience, introspection, events);
  const configFile = join(request.workDir, 'resource-server-introspection.yaml');
  writeFileSync(configFile, stringify(config));
  request.log?.(`chaos: starting the introspection resource server on ${rsUrl} (introspection and events through toxiproxy)`);
  const process = await launch({
    name: 'reference resource server (introspection, chaos)',
    command: [
      globalThis.process.execPath,
      request.cliMain,
      'serve',
      'resource-server',
      '--port',
      String(port),
      '--config',
      configFile,
    ],
    env: { TOKENPROOF_SECONDARY_SECRET: request.secondarySecret },
    ready: `${rsUrl}/health`,
    readyTimeoutMs: 30_000,
    logFile: join(request.workDir, 'resource-server-introspection.log'),
  });
  processes.push(process);
  const { mint, revoke } = referenceIssuerClient(request, audience);
  return {
    name: 'introspection',
    resourceServer: { url: `${rsUrl}/protected`, audience, trusts: 'issuer' },
    issuerUrl,
    links: { introspection, 'revocation-events': events, token },
    skew: adminClockSkew(issuerUrl, request.adminToken, mint),
    mintValid: mint,
    revoke,
  };
}

function propagationSubject(request: EmbeddedChaosRequest, token: FaultLink): ChaosSubject {
  const { url, audience, jwks, events } = request.propagation!;
  const { mint, revoke } = referenceIssuerClient(request, audience);
  return {
    name: 'propagation',
    resourceServer: { url: `${url}/protected`, audience, trusts: 'issuer' },
    issuerUrl: request.issuerUrl,
    links: { jwks, 'revocation-events': events, token },
    skew: adminClockSkew(request.issuerUrl, request.adminToken, mint),
    mintValid: mint,
    revoke,
  };
}

/** Probe tokens for an audience from the reference issuer, and their revocation (RFC 7009), straight (not through a link). */
export function referenceIssuerClient(
  request: Pick<EmbeddedChaosRequest, 'issuerUrl' | 'profile'>,
  audience: string,
): { mint: () => Promise<string>; revoke: (token: string) => Promise<void> } {
  const { issuerUrl, profile } = request;
  const primary = profile.issuer?.clients?.primary;
  if (!primary?.secret)
    throw new EnvironmentError('the embedded profile has no primary client secret', 'a bug in the embedded stack');
  const auth: ClientAuth = { method: 'client_secret_basic', clientId: primary.id, secret: primary.secret };
  return {
    async mint() {
      const answer = await tokenRequest(
        `${issuerUrl}/token`,
        { grant_type: 'client_credentials', resource: audience },
        auth,
        {},
        bounded,
      );
      if (answer.status !== 200 || typeof answer.body.access_token !== 'string')
        throw new EnvironmentError(`the reference issuer refused a probe token (HTTP ${answer.status})`, 'see its log');
      return answer.body.access_token;
    },
    async revoke(token) {
      const answer = await postForm(`${issuerUrl}/revoke`, { token, token_type_hint: 'access_token' }, auth, {}, bounded);
      if (answer.status !== 200)
        throw new EnvironmentError(`the reference issuer refused a revocation (HTTP ${answer.status})`, 'see its log');
    },
  };
}

/** The nbf, exp and iat a minted token carries (the C05 probes judge by them). */
export function tokenTimes(token: string): { nbf?: number; exp: number; iat?: number } {
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, number>;
  return {
    ...(claims['nbf'] !== undefined && { nbf: claims['nbf'] }),
    exp: claims['exp'] ?? 0,
    ...(claims['iat'] !== undefined && { iat: claims['iat'] }),
  };
}

/** The test issuer has no clock of its own to move: its forger stamps the times a skewed issuer would. */
export function forgerSkew(testIssuer: RunningTestIssuer): SkewedIssuer {
  let offset = 0;
  return {
    mechanism: "the harness test issuer's forger (iat, nbf and exp stamped by a clock moved by the offset)",
    async setOffset(offsetSeconds) {
      offset = offsetSeconds;
    },
    async mint() {
      const now = Math.floor(Date.now() / 1000) + offset;
      const claims = { iat: now, nbf: now, exp: now + skewedTokenTtlSeconds };
      return { token: testIssuer.forger.accessToken({ claims }), ...claims };
    },
  };
}

/** The reference issuer's admin clock offset (harness/reference/issuer README). */
export function adminClockSkew(issuerUrl: string, adminToken: string, mint: () => Promise<string>): SkewedIssuer {
  return {
    mechanism: "the reference issuer's admin clock offset",
    async setOffset(offsetSeconds) {
      const response = await bounded(`${issuerUrl}/admin/clock`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ offsetSeconds }),
      });
      await response.body?.cancel();
      if (!response.ok)
        throw new EnvironmentError(`the reference issuer refused the clock offset (HTTP ${response.status})`, 'see its log');
    },
    async mint() {
      const token = await mint();
      return { token, ...tokenTimes(token) };
    },
  };
}
