/**
 * The chaos side of the containers environment (harness/faults' ChaosEnvironment): the game day
 * drives the toxiproxy container through its published API, on proxies that already sit on the
 * run's network between each resource server and its issuer. harness/faults' own `addLink`
 * creates listeners on the toxiproxy's 127.0.0.1, which inside a container only that container
 * reaches; so the links here are the pre-created proxies, named as they are in toxiproxy, and
 * the faults, `reset()` and the clean-up at the end act on them unchanged.
 *
 * Subjects: `jwt`, the resource server that trusts the harness test issuer, its JWKS fetched
 * through the `test-jwks` proxy (the forger skews its clock, as in the embedded stack). An
 * introspection subject is not offered here yet (no introspection-mode RS container).
 */
import type { ChaosEnvironment, ChaosSubject } from '../../faults/chaos-environment.ts';
import { forgerSkew } from '../../faults/embedded-subjects.ts';
import { type FaultLink, startToxiproxy } from '../../faults/toxiproxy.ts';
import type { Profile } from '../../profile/schema.ts';
import type { RunningTestIssuer } from '../../test-issuer/server.ts';

export interface ContainersChaosRequest {
  /** The toxiproxy container's API, published on 127.0.0.1. */
  toxiproxyUrl: string;
  /** The proxy in front of the test issuer: its name and where the RS container connects to it. */
  jwksProxy: { name: string; listenOrigin: string };
  testIssuer: RunningTestIssuer;
  profile: Profile;
  logDir: string;
  log?: (line: string) => void;
}

export async function containersChaos(request: ContainersChaosRequest): Promise<ChaosEnvironment> {
  const toxiproxy = await startToxiproxy({
    url: request.toxiproxyUrl,
    logDir: request.logDir,
    ...(request.log && { log: request.log }),
  });
  const upstreamOrigin = new URL(request.testIssuer.url).origin;
  const jwks: FaultLink = {
    name: 'jwks',
    proxyName: request.jwksProxy.name,
    listenOrigin: request.jwksProxy.listenOrigin,
    upstreamOrigin,
    tls: false,
    proxied(url) {
      const parsed = new URL(url);
      return parsed.origin === upstreamOrigin ? new URL(`${parsed.pathname}${parsed.search}`, this.listenOrigin).toString() : url;
    },
  };
  toxiproxy.links.set('jwks', jwks);
  const { testIssuer, profile } = request;
  const jwtSubject: ChaosSubject = {
    name: 'jwt',
    resourceServer: profile.resourceServer!,
    issuerUrl: testIssuer.url,
    links: { jwks },
    skew: forgerSkew(testIssuer),
    mintValid: async () => testIssuer.forger.accessToken(),
  };
  return {
    toxiproxy,
    subjects: { jwt: async () => jwtSubject },
    notes: [],
    // Faults removed and the link's proxy deleted; the container goes with the run.
    stop: () => toxiproxy.stop(),
  };
}
