/** Everything a request handler of the reference issuer needs, built once per issuer instance. */

import type { Clock } from '../../lib/clock.ts';
import type { ReplayCache } from '../../oauth/replay-cache.ts';
import { wellKnown } from '../../oauth/well-known.ts';
import type { ClientConfig, IssuerConfig, UserConfig } from './config.ts';
import type { RevocationEvents } from './events.ts';
import type { KeyStore } from './keys.ts';
import type { IssuerMetrics } from './metrics.ts';
import type { IssuerStore } from './store.ts';

export interface IssuerContext {
  config: IssuerConfig;
  /** The issuer identifier; final once the server listens. */
  issuer: string;
  clock: Clock;
  keys: KeyStore;
  store: IssuerStore;
  metrics: IssuerMetrics;
  events: RevocationEvents;
  clients: Map<string, ClientConfig>;
  users: Map<string, UserConfig>;
  resources: Set<string>;
  /** client_assertion jti values already used (RFC 7523 §3 item 7). */
  assertionReplay: ReplayCache;
  dpopReplay: ReplayCache;
}

export const paths = {
  discovery: wellKnown.openid,
  oauthMetadata: wellKnown.oauth,
  jwks: '/jwks',
  authorize: '/authorize',
  token: '/token',
  introspect: '/introspect',
  revoke: '/revoke',
  userinfo: '/userinfo',
  revocationEvents: '/events/revocations',
  metrics: '/metrics',
  health: '/health',
} as const;

export function endpoint(ctx: IssuerContext, path: string): string {
  return `${ctx.issuer}${path}`;
}
