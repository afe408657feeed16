/** Everything a request handler of the reference resource server needs, built once per instance. */
import type { Clock } from '../../lib/clock.ts';
import type { ReplayCache } from '../../oauth/replay-cache.ts';
import type { ResourceServerConfig } from './config.ts';
import type { IssuerDiscovery } from './discovery.ts';
import type { DpopNonces } from './dpop.ts';
import type { IntrospectionClient } from './introspection.ts';
import type { JwksCache } from './jwks.ts';
import type { JwtRules } from './jwt-access-token.ts';
import type { ResourceServerMetrics } from './metrics.ts';
import type { ResourceMetadata } from './resource-metadata.ts';
import type { RevocationSubscription } from './revocation-events.ts';
import type { RevocationList } from './revocations.ts';
import type { ScopeRules } from './scope-rules.ts';
import type { VerifiedTokenCache } from './token-cache.ts';

export interface ResourceServerContext {
  config: ResourceServerConfig;
  clock: Clock;
  metrics: ResourceServerMetrics;
  /** The origin clients use to reach this server (DPoP htu); final once the server listens. */
  publicUrl: string;
  discovery: IssuerDiscovery;
  /** JWT mode only. */
  jwks: JwksCache | undefined;
  /** Introspection mode only. */
  introspection: IntrospectionClient | undefined;
  /** JWT mode with the cache enabled. */
  tokenCache: VerifiedTokenCache | undefined;
  revocations: RevocationList;
  revocationEvents: RevocationSubscription | undefined;
  jwtRules: JwtRules;
  scopeRules: ScopeRules;
  dpopReplay: ReplayCache;
  dpopNonces: DpopNonces | undefined;
  /** RFC 9728 metadata when published; final once the server listens. */
  resourceMetadata: ResourceMetadata | undefined;
}

export const paths = {
  protected: '/protected',
  health: '/health',
  metrics: '/metrics',
} as const;
