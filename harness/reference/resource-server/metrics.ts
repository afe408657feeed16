/** Prometheus metrics of one resource server instance (its own registry, so several can share a process). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createResourceServerMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'tokenproof_rs_' });
  return {
    registry,
    validations: new Counter({
      name: 'tokenproof_rs_validations_total',
      help: 'Protected-resource requests by outcome (ok, invalid_token, insufficient_scope, …) and reason (expired, audience, …)',
      labelNames: ['outcome', 'reason'] as const,
      registers: [registry],
    }),
    validationDuration: new Histogram({
      name: 'tokenproof_rs_validation_duration_seconds',
      help: 'Time from request to decision on protected routes (token extraction, validation, DPoP, scope)',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    jwksFetches: new Counter({
      name: 'tokenproof_rs_jwks_fetches_total',
      help: 'JWKS fetches by outcome (ok, error)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    cacheLookups: new Counter({
      name: 'tokenproof_rs_cache_lookups_total',
      help: 'Verified-token and introspection cache lookups, by cache and result (hit, miss)',
      labelNames: ['cache', 'result'] as const,
      registers: [registry],
    }),
    introspections: new Counter({
      name: 'tokenproof_rs_introspections_total',
      help: 'Introspection requests to the issuer by outcome (active, inactive, error)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    revocationEvents: new Counter({
      name: 'tokenproof_rs_revocation_events_total',
      help: 'Revocation events received from the issuer',
      registers: [registry],
    }),
    revocationStreamConnected: new Gauge({
      name: 'tokenproof_rs_revocation_stream_connected',
      help: '1 while the revocation event stream is connected',
      registers: [registry],
    }),
    jwksKeys: new Gauge({
      name: 'tokenproof_rs_jwks_keys',
      help: 'Usable keys in the cached JWKS',
      registers: [registry],
    }),
  };
}
export type ResourceServerMetrics = ReturnType<typeof createResourceServerMetrics>;
