/** Prometheus metrics of one issuer instance (its own registry, so several can share a process). */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export function createIssuerMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'tokenproof_issuer_' });
  return {
    registry,
    tokensIssued: new Counter({
      name: 'tokenproof_issuer_tokens_issued_total',
      help: 'Successful token endpoint answers, by grant type',
      labelNames: ['grant'] as const,
      registers: [registry],
    }),
    tokenRequestDuration: new Histogram({
      name: 'tokenproof_issuer_token_request_duration_seconds',
      help: 'Token endpoint latency, by grant type and outcome (ok or the OAuth error code)',
      labelNames: ['grant', 'outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    revocations: new Counter({
      name: 'tokenproof_issuer_revocations_total',
      help: 'Tokens revoked, by kind (access_token, refresh_token, family)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    refreshReuseDetected: new Counter({
      name: 'tokenproof_issuer_refresh_reuse_detected_total',
      help: 'Rotated refresh tokens presented again (each revokes its family)',
      registers: [registry],
    }),
    introspections: new Counter({
      name: 'tokenproof_issuer_introspections_total',
      help: 'Introspection answers, by active',
      labelNames: ['active'] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'tokenproof_issuer_rate_limited_total',
      help: 'Token requests refused by the rate limit',
      registers: [registry],
    }),
  };
}
export type IssuerMetrics = ReturnType<typeof createIssuerMetrics>;
