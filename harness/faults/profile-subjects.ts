/**
 * The chaos subjects of a profile target: a resource server that trusts the harness test issuer
 * fetches its JWKS (and discovery) through the `jwks` link, because the `{{testIssuer.jwksUri}}`
 * and `{{testIssuer.discoveryUri}}` placeholders its launch block uses resolve to the proxy
 * during a chaos run. A resource server that trusts the target's own issuer is reached by the
 * load, but no link is placed in front of its issuer (a note says so in the report). Either way
 * the load clients reach an http issuer (token, introspection, revocation) through the `token` link.
 */
import { resolve } from 'node:path';
import { EnvironmentError } from '../lib/errors.ts';
import { clientAuth, describeLoadTarget } from '../load/target-endpoints.ts';
import { issuanceParams } from '../load/token-pool.ts';
import { type Fetcher, tokenRequest } from '../oauth/client.ts';
import type { Profile } from '../profile/schema.ts';
import type { Target } from '../runner/target.ts';
import type { RunningTestIssuer } from '../test-issuer/server.ts';
import type { ChaosEnvironment, SkewedIssuer } from './chaos-environment.ts';
import { forgerSkew } from './embedded-subjects.ts';
import { faketimeSkew, looksLikeGoBinary } from './faketime.ts';
import type { FaultLink, ToxiproxyServer } from './toxiproxy.ts';

const bounded: Fetcher = (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(5000) });

/** A token for the RS under load, from the target issuer (client_credentials, the profile's primary client). */
function issuerMint(profile: Profile): () => Promise<string> {
  return async () => {
    const endpoints = await describeLoadTarget(profile);
    const client = endpoints.clients[0];
    if (!endpoints.tokenEndpoint || !client)
      throw new EnvironmentError(
        'no probe tokens: the profile has no client with a secret at a token endpoint',
        'add issuer.clients.primary with a client_secret',
      );
    const answer = await tokenRequest(endpoints.tokenEndpoint, issuanceParams(profile), clientAuth(client), {}, bounded);
    if (answer.status !== 200 || typeof answer.body.access_token !== 'string')
      throw new EnvironmentError(`the issuer refused a probe token (HTTP ${answer.status})`, 'see its log');
    return answer.body.access_token;
  };
}

function times(token: string): { nbf?: number; exp: number; iat?: number } {
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, number>;
  return {
    ...(claims['nbf'] !== undefined && { nbf: claims['nbf'] }),
    exp: claims['exp'] ?? 0,
    ...(claims['iat'] !== undefined && { iat: claims['iat'] }),
  };
}

/**
 * `faketime`: the offset files of the launched blocks running under libfaketime (a chaos run with
 * libfaketime installed). A launched issuer under it is the clock a game day skews for an RS that
 * trusts that issuer, unless it is a Go binary, which libfaketime cannot move (a note says so).
 */
export async function profileChaosSubjects(
  toxiproxy: ToxiproxyServer,
  target: Target,
  testIssuer: RunningTestIssuer | undefined,
  faketime: Partial<Record<'issuer' | 'resourceServer', string>> = {},
): Promise<ChaosEnvironment> {
  const resourceServer = target.profile.resourceServer;
  const notes: string[] = [];
  const issuerUrl = target.profile.issuer?.url;
  if (issuerUrl?.startsWith('https:'))
    notes.push(
      `the issuer ${issuerUrl} is https: toxiproxy is TCP-only, so a fault there cuts or slows TLS records (a truncated JWKS is a TLS error, not a cut-off body)`,
    );
  // An https issuer keeps its name in its certificate: k6 cannot reach it through 127.0.0.1.
  let token: FaultLink | undefined;
  if (issuerUrl?.startsWith('http:')) token = await toxiproxy.addLink('token', issuerUrl);
  else if (issuerUrl)
    notes.push(
      'the load reaches the https issuer directly (its certificate names its host, not the proxy): no token link for game days',
    );
  if (!resourceServer)
    return {
      toxiproxy,
      subjects: {},
      notes: [...notes, 'the profile has no resourceServer: no game day can load it'],
      stop: async () => undefined,
    };
  if (resourceServer.trusts === 'harness' && testIssuer) {
    const jwks = await toxiproxy.addLink('jwks', testIssuer.jwksUri);
    if (!resourceServer.launch)
      notes.push(
        'the resource server is not launched by the harness: it must fetch the JWKS through the jwks link itself, or the faults cannot reach it',
      );
    return {
      toxiproxy,
      subjects: {
        jwt: async () => ({
          name: 'jwt',
          resourceServer,
          issuerUrl: testIssuer.url,
          links: { jwks, ...(token && { token }) },
          skew: forgerSkew(testIssuer),
          mintValid: async () => testIssuer.forger.accessToken(),
        }),
      },
      notes,
      stop: async () => undefined,
    };
  }
  notes.push(
    'the resource server trusts the target issuer: the harness places no toxiproxy link in front of that issuer for it (use the embedded stack, or point the RS at a toxiproxy yourself)',
  );
  let skew: SkewedIssuer | undefined;
  const launch = target.profile.issuer?.launch;
  if (faketime.issuer && launch) {
    const command = launch.command[0] ?? '';
    if (looksLikeGoBinary(command, resolve(target.baseDir, launch.cwd ?? '.')))
      notes.push(
        `the launched issuer (${command}) is a Go binary: libfaketime cannot move its clock (Go reads it through the vDSO, not libc), so clock-skew game days cannot skew it`,
      );
    else {
      const mint = issuerMint(target.profile);
      skew = faketimeSkew(faketime.issuer, async () => {
        const token = await mint();
        return { token, ...times(token) };
      });
    }
  }
  return {
    toxiproxy,
    subjects: {
      jwt: async () => ({
        name: 'jwt',
        resourceServer,
        issuerUrl: issuerUrl ?? '',
        links: { ...(token && { token }) },
        ...(skew && { skew }),
        mintValid: issuerMint(target.profile),
      }),
    },
    notes,
    stop: async () => undefined,
  };
}
