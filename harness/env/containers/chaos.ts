/**
 * The chaos side of the containers environment (harness/faults' ChaosEnvironment): the game day
 * drives the toxiproxy container through its published API, on proxies that already sit on the
 * run's network between each resource server and its issuer. harness/faults' own `addLink`
 * creates listeners on the toxiproxy's 127.0.0.1, which inside a container only that container
 * reaches; so the links here are the pre-created proxies, adopted (`adoptLink`) under their
 * toxiproxy names: the faults and `reset()` act on them unchanged, and the end leaves them as
 * they were started (enabled, no toxics).
 *
 * Subjects, as in the embedded stack (harness/faults/embedded-subjects.ts):
 * - jwt: `rs-forged`, the resource server that trusts the harness test issuer, its JWKS fetched
 *   through the `test-jwks` proxy (the forger skews its clock);
 * - introspection: an `rs-introspection` container in introspection mode against the reference
 *   issuer, its introspection calls and revocation events through the `introspection` and
 *   `revocation-events` proxies; started on first use, so a run without such a game day does not
 *   pay for it; the issuer's admin clock skews it, revocations go to the issuer (RFC 7009);
 * - propagation: `rs-1`, V08's first replica, JWT mode, its JWKS and revocation events through the
 *   `jwks` and `revocation-events` proxies (which every replica shares); admin clock, revocation.
 * Each has the `token` link: the `token` proxy, published on 127.0.0.1, is the load clients' way
 * to the issuer (token endpoint, introspection, revocation); its `proxied` rewrites the issuer's
 * published origin (the issuer identifier, unchanged) to the proxy's, which k6 in a container
 * reaches as `toxiproxy:9404` (harness/env/containers/k6-runner.ts rewrites published origins).
 */

import type { ChaosEnvironment, ChaosSubject } from '../../faults/chaos-environment.ts';
import { adminClockSkew, forgerSkew, introspectionRsConfig, referenceIssuerClient } from '../../faults/embedded-subjects.ts';
import { type FaultLink, startToxiproxy, type ToxiproxyServer } from '../../faults/toxiproxy.ts';
import type { Profile } from '../../profile/schema.ts';
import type { ResourceServerConfigInput } from '../../reference/resource-server/config.ts';
import type { RunningTestIssuer } from '../../test-issuer/server.ts';

/** A proxy on the toxiproxy container: its name there and where its client connects to it. */
export interface ContainerProxy {
  name: string;
  listenOrigin: string;
}

export interface ContainersChaosRequest {
  /** The toxiproxy container's API, published on 127.0.0.1. */
  toxiproxyUrl: string;
  /** The proxy in front of the test issuer: its name and where the RS container connects to it. */
  jwksProxy: ContainerProxy;
  /**
   * The proxies in front of the reference issuer: jwks, revocation-events and introspection as the
   * RS containers reach them (on the run's network), token as the host reaches it (published).
   */
  issuerProxies: Record<'jwks' | 'revocation-events' | 'introspection' | 'token', ContainerProxy>;
  /** The reference issuer's identifier: its published URL. */
  issuerUrl: string;
  adminToken: string;
  /** The secret of the issuer client the introspection RS authenticates as (secondary). */
  secondarySecret: string;
  /** The audience of the issuer-trusting resource servers. */
  audience: string;
  /** V08's first replica (rs-1), the propagation subject. */
  propagationUrl: string;
  /** Starts one more reference RS container on the run's network (removed with the run); its host URL. */
  startResourceServer(role: string, config: ResourceServerConfigInput, environment: Record<string, string>): Promise<string>;
  testIssuer: RunningTestIssuer;
  profile: Profile;
  logDir: string;
  log?: (line: string) => void;
}

export interface ContainersChaos extends ChaosEnvironment {
  /**
   * Starts an introspection-mode RS container (`role`) on the subject's links, its config given to
   * `configure` first: the `introspection` subject is `introspectionSubject('rs-introspection')`.
   */
  introspectionSubject(
    role: string,
    configure?: (config: ResourceServerConfigInput) => ResourceServerConfigInput,
  ): Promise<ChaosSubject>;
}

/** A proxy the toxiproxy container was started with, as a link (harness/faults' adoptLink: never deleted, restored at the end). */
function adoptProxy(toxiproxy: ToxiproxyServer, name: string, proxy: ContainerProxy, upstreamUrl: string): Promise<FaultLink> {
  return toxiproxy.adoptLink(name, proxy.name, {
    listenOrigin: proxy.listenOrigin,
    upstreamOrigin: new URL(upstreamUrl).origin,
  });
}

export async function containersChaos(request: ContainersChaosRequest): Promise<ContainersChaos> {
  const toxiproxy = await startToxiproxy({
    url: request.toxiproxyUrl,
    logDir: request.logDir,
    ...(request.log && { log: request.log }),
  });
  const { testIssuer, profile, issuerUrl, issuerProxies, audience } = request;
  // Link names are the keys of toxiproxy.links: the test issuer's proxy is the jwt subject's `jwks`.
  const jwks = await adoptProxy(toxiproxy, 'jwks', request.jwksProxy, testIssuer.url);
  const issuerJwks = await adoptProxy(toxiproxy, 'issuer-jwks', issuerProxies.jwks, issuerUrl);
  const events = await adoptProxy(toxiproxy, 'revocation-events', issuerProxies['revocation-events'], issuerUrl);
  const introspection = await adoptProxy(toxiproxy, 'introspection', issuerProxies.introspection, issuerUrl);
  const token = await adoptProxy(toxiproxy, 'token', issuerProxies.token, issuerUrl);
  const { mint, revoke } = referenceIssuerClient({ issuerUrl, profile }, audience);
  const issuerSkew = adminClockSkew(issuerUrl, request.adminToken, mint);

  const jwtSubject: ChaosSubject = {
    name: 'jwt',
    resourceServer: profile.resourceServer!,
    issuerUrl: testIssuer.url,
    links: { jwks, token },
    skew: forgerSkew(testIssuer),
    mintValid: async () => testIssuer.forger.accessToken(),
  };
  const propagationSubject: ChaosSubject = {
    name: 'propagation',
    resourceServer: { url: `${request.propagationUrl}/protected`, audience, trusts: 'issuer' },
    issuerUrl,
    links: { jwks: issuerJwks, 'revocation-events': events, token },
    skew: issuerSkew,
    mintValid: mint,
    revoke,
  };
  const introspectionSubject: ContainersChaos['introspectionSubject'] = async (role, configure = (config) => config) => {
    const config = introspectionRsConfig(issuerUrl, audience, introspection, events);
    request.log?.(`chaos: starting ${role}, in introspection mode (introspection and events through toxiproxy)`);
    const url = await request.startResourceServer(role, configure(config), {
      TOKENPROOF_SECONDARY_SECRET: request.secondarySecret,
    });
    return {
      name: 'introspection',
      resourceServer: { url: `${url}/protected`, audience, trusts: 'issuer' },
      issuerUrl,
      links: { introspection, 'revocation-events': events, token },
      skew: issuerSkew,
      mintValid: mint,
      revoke,
    };
  };
  let introspectionStart: Promise<ChaosSubject> | undefined;
  return {
    toxiproxy,
    subjects: {
      jwt: async () => jwtSubject,
      // Its own container: started only for a game day that loads it.
      introspection: () => {
        introspectionStart ??= introspectionSubject('rs-introspection');
        return introspectionStart;
      },
      propagation: async () => propagationSubject,
    },
    introspectionSubject,
    notes: [],
    // Faults removed, the proxies left as they were started; the containers go with the run.
    stop: () => toxiproxy.stop(),
  };
}
