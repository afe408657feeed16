/**
 * The chaos subjects of a profile target: a resource server that trusts the harness test issuer
 * fetches its JWKS (and discovery) through the `jwks` link, because the `{{testIssuer.jwksUri}}`
 * and `{{testIssuer.discoveryUri}}` placeholders its launch block uses resolve to the proxy
 * during a chaos run. A resource server that trusts the target's own issuer is reached by the
 * load, but no link is placed in front of its issuer (a note says so in the report). Either way
 * the load clients reach an http issuer (token, introspection, revocation) through the `token` link.
 */
import { EnvironmentError } from '../lib/errors.ts';
import type { Target } from '../runner/target.ts';
import type { RunningTestIssuer } from '../test-issuer/server.ts';
import type { ChaosEnvironment } from './chaos-environment.ts';
import { forgerSkew } from './embedded-subjects.ts';
import type { FaultLink, ToxiproxyServer } from './toxiproxy.ts';

export async function profileChaosSubjects(
  toxiproxy: ToxiproxyServer,
  target: Target,
  testIssuer: RunningTestIssuer | undefined,
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
  return {
    toxiproxy,
    subjects: {
      jwt: async () => ({
        name: 'jwt',
        resourceServer,
        issuerUrl: issuerUrl ?? '',
        links: { ...(token && { token }) },
        mintValid: async () => {
          throw new EnvironmentError(
            'no probe tokens for a resource server that trusts the target issuer',
            'use trusts: harness',
          );
        },
      }),
    },
    notes,
    stop: async () => undefined,
  };
}
