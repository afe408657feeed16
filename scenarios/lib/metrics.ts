// The correctness counters (CHECKS.md L01, L02) the harness reads per second from k6's CSV output
// and, as totals, from the summary. Tags say which token kind or operation a sample belongs to.
import { Counter, Rate } from 'k6/metrics';

/** A revoked, expired or forged token that was accepted (tag kind). Any one fails the run (L01). */
export const wronglyAccepted = new Counter('tokenproof_wrongly_accepted');
/** A valid token (or valid client credentials) refused with a 4xx (L02). */
export const validRefused = new Counter('tokenproof_valid_refused');
/** A 5xx answer, whatever was sent. */
export const serverErrors = new Counter('tokenproof_server_errors');
/** 1 when a request that should succeed did, 0 when it was refused, failed or timed out (slo.availability). */
export const available = new Rate('tokenproof_available');
/** 1 for every unexpected outcome: 5xx, no answer, valid refused, invalid accepted (slo.errorRate). */
export const errors = new Rate('tokenproof_errors');
/** 1 when a refresh did not give a new token pair (slo.refreshFailureRate). */
export const refreshFailed = new Rate('tokenproof_refresh_failed');
