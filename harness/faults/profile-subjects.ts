/**
 * The chaos subjects of a profile target: a resource server that trusts the harness test issuer
 * fetches its JWKS (and discovery) through the `jwks` link, because the `{{testIssuer.jwksUri}}`
 * and `{{testIssuer.discoveryUri}}` placeholders its launch block uses resolve to the proxy
 * during a chaos run. A resource server that trusts the target's own issuer gets the links the
 * profile's chaos.toxiproxy.links names (proxies the target already routes through, as the
 * docker-compose stack's): `jwt` and `propagation` subjects for a JWT RS, `introspection` for
 * one that introspects (chaos.resourceServer); without them no link sits in front of its issuer
 * (a note says so). Either way the load clients reach the issuer (token, introspection,
 * revocation) through the `token` link: the declared proxy, or one the harness makes for an http issuer.
 */
import { resolve } from 'node:path';
import { EnvironmentError } from '../lib/errors.ts';
import { clientAuth, describeLoadTarget } from '../load/target-endpoints.ts';
import { issuanceParams } from '../load/token-pool.ts';
import { type Fetcher, postForm, tokenRequest } from '../oauth/client.ts';
import type { Profile } from '../profile/schema.ts';
import type { Target } from '../runner/target.ts';
import type { RunningTestIssuer } from '../test-issuer/server.ts';
import type { ChaosEnvironment, ChaosSubject, SkewedIssuer, SubjectName } from './chaos-environment.ts';
import { forgerSkew, tokenTimes } from './embedded-subjects.ts';
import { faketimeSkew, looksLikeGoBinary } from './faketime.ts';
import type { LinkName } from './gameday.ts';
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

/** The issuer clock moved by the profile's issuer.admin.setClockOffset ({{offsetSeconds}} in its body). */
function adminRequestSkew(
  request: NonNullable<NonNullable<NonNullable<Profile['issuer']>['admin']>['setClockOffset']>,
  mint: () => Promise<string>,
): SkewedIssuer {
  return {
    mechanism: "the profile's issuer.admin.setClockOffset",
    async setOffset(offsetSeconds) {
      const response = await bounded(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined && { body: request.body.replaceAll('{{offsetSeconds}}', String(offsetSeconds)) }),
      });
      await response.body?.cancel();
      if (!response.ok)
        throw new EnvironmentError(
          `the issuer refused the clock offset (${request.method} ${request.url}: HTTP ${response.status})`,
          'check issuer.admin.setClockOffset in the profile',
        );
    },
    async mint() {
      const token = await mint();
      return { token, ...tokenTimes(token) };
    },
  };
}

/** Revokes a probe token at the issuer (RFC 7009) as the profile's primary client; undefined when the issuer has no revocation endpoint. */
async function issuerRevoke(profile: Profile): Promise<((token: string) => Promise<void>) | undefined> {
  const endpoints = await describeLoadTarget(profile);
  const client = endpoints.clients[0];
  const url = profile.issuer?.revocation?.url ?? endpoints.revocationEndpoint;
  if (!url || !client) return undefined;
  return async (token) => {
    const answer = await postForm(url, { token, token_type_hint: 'access_token' }, clientAuth(client), {}, bounded);
    if (answer.status !== 200)
      throw new EnvironmentError(`the issuer refused a revocation (HTTP ${answer.status})`, 'see its log');
  };
}

/**
 * The links the profile's chaos.toxiproxy.links names, adopted from the toxiproxy it already
 * routes through (never created or deleted). The token link's client side is the issuer's own
 * address: the block says issuer.url points at that proxy.
 */
async function declaredLinks(
  toxiproxy: ToxiproxyServer,
  target: Target,
  names: readonly LinkName[],
): Promise<Partial<Record<LinkName, FaultLink>>> {
  const declared = target.profile.chaos?.toxiproxy?.links ?? {};
  const issuerUrl = target.profile.issuer?.url;
  const links: Partial<Record<LinkName, FaultLink>> = {};
  for (const name of names) {
    const proxyName = declared[name];
    if (!proxyName) continue;
    links[name] = await toxiproxy.adoptLink(name, proxyName, {
      ...(name === 'token' && issuerUrl && { listenOrigin: new URL(issuerUrl).origin }),
      fix: `name a proxy it has in ${target.file ?? 'the profile'} (chaos.toxiproxy.links.${name}), or start the stack that creates it (docker compose up -d for targets/compose.yaml)`,
    });
  }
  return links;
}

/**
 * `faketime`: the offset files of the launched blocks running under libfaketime (a chaos run with
 * libfaketime installed). For an RS that trusts the target issuer, the clock a game day skews is
 * the issuer's: its admin clock (issuer.admin.setClockOffset) when the profile has one, else a
 * launched issuer under libfaketime, unless it is a Go binary, which libfaketime cannot move (a note says so).
 */
export async function profileChaosSubjects(
  toxiproxy: ToxiproxyServer,
  target: Target,
  testIssuer: RunningTestIssuer | undefined,
  faketime: Partial<Record<'issuer' | 'resourceServer', string>> = {},
): Promise<ChaosEnvironment> {
  const resourceServer = target.profile.resourceServer;
  const chaos = target.profile.chaos;
  const notes: string[] = [];
  const issuerUrl = target.profile.issuer?.url;
  if (issuerUrl?.startsWith('https:'))
    notes.push(
      `the issuer ${issuerUrl} is https: toxiproxy is TCP-only, so a fault there cuts or slows TLS records (a truncated JWKS is a TLS error, not a cut-off body)`,
    );
  let { token } = await declaredLinks(toxiproxy, target, ['token']);
  if (token)
    notes.push(
      `the token link is the target's own proxy ${token.proxyName} (issuer.url, ${token.listenOrigin}): the harness's probe tokens and revocations go through it too`,
    );
  // An https issuer keeps its name in its certificate: k6 cannot reach it through 127.0.0.1.
  else if (issuerUrl?.startsWith('http:')) token = await toxiproxy.addLink('token', issuerUrl);
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
    const ignored = (['jwks', 'revocation-events', 'introspection'] as const).filter((name) => chaos?.toxiproxy?.links[name]);
    if (ignored.length > 0)
      notes.push(
        `the resource server trusts the harness test issuer: the declared ${ignored.join(', ')} proxies sit in front of the target issuer, so the harness makes its own jwks link to the test issuer`,
      );
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
  const links = {
    ...(await declaredLinks(toxiproxy, target, ['jwks', 'revocation-events', 'introspection'])),
    ...(token && { token }),
  };
  if (!links.jwks && !links['revocation-events'] && !links.introspection)
    notes.push(
      'the resource server trusts the target issuer: the harness places no toxiproxy link between them by itself; name the proxies it already goes through in chaos.toxiproxy.links (harness/faults/README.md), or use the embedded stack',
    );
  let skew: SkewedIssuer | undefined;
  const mint = issuerMint(target.profile);
  const setClockOffset = target.profile.issuer?.admin?.setClockOffset;
  const launch = target.profile.issuer?.launch;
  if (setClockOffset) skew = adminRequestSkew(setClockOffset, mint);
  else if (faketime.issuer && launch) {
    const command = launch.command[0] ?? '';
    if (looksLikeGoBinary(command, resolve(target.baseDir, launch.cwd ?? '.')))
      notes.push(
        `the launched issuer (${command}) is a Go binary: libfaketime cannot move its clock (Go reads it through the vDSO, not libc), so clock-skew game days cannot skew it`,
      );
    else
      skew = faketimeSkew(faketime.issuer, async () => {
        const token = await mint();
        return { token, ...tokenTimes(token) };
      });
  }
  // Read when a game day picks the subject: a launched issuer is not up while the environment is prepared.
  const subject = (name: SubjectName, names: readonly LinkName[]) => async (): Promise<ChaosSubject> => {
    const revoke = await issuerRevoke(target.profile);
    return {
      name,
      resourceServer,
      issuerUrl: issuerUrl ?? '',
      links: Object.fromEntries(names.flatMap((link) => (links[link] ? [[link, links[link]]] : []))),
      ...(skew && { skew }),
      mintValid: mint,
      ...(revoke && { revoke }),
    };
  };
  // The RS's own way of checking tokens decides which game days are about it (chaos.resourceServer).
  const jwtLinks = ['jwks', 'revocation-events', 'token'] as const;
  const subjects: ChaosEnvironment['subjects'] =
    chaos?.resourceServer === 'introspection'
      ? { introspection: subject('introspection', ['introspection', 'revocation-events', 'token']) }
      : { jwt: subject('jwt', jwtLinks), propagation: subject('propagation', jwtLinks) };
  if (links.introspection && chaos?.resourceServer !== 'introspection')
    notes.push(
      'the introspection link is declared, and the resource server validates JWTs (chaos.resourceServer: jwt): no game-day subject uses it',
    );
  return { toxiproxy, subjects, notes, stop: async () => undefined };
}
