// What the harness hands a scenario: one JSON file (owner-only, deleted after the run) named by
// TOKENPROOF_LOAD_CONFIG. Tokens and client secrets travel in it, never in argv or the environment,
// and minting happens before k6 starts (DESIGN.md "Load": the generator is not the bottleneck).
import { SharedArray } from 'k6/data';
import type { Options } from 'k6/options';

/** valid: must be accepted; the others must be refused (CHECKS.md L01). */
export type TokenKind = 'valid' | 'expired' | 'forged' | 'revoked';

export interface PoolToken {
  kind: TokenKind;
  token: string;
  /** The protected URL to present it to, when not resourceServerUrl (a resource server trusting the issuer). */
  url?: string;
}

export interface ClientCredentials {
  id: string;
  secret: string;
  auth: 'client_secret_basic' | 'client_secret_post';
}

export interface LoadConfig {
  scenario: string;
  options: Options;
  summaryFile: string;
  resourceServerUrl?: string;
  tokenEndpoint?: string;
  introspectionEndpoint?: string;
  revocationEndpoint?: string;
  clients: ClientCredentials[];
  /** Authenticates at the introspection endpoint (default: the first client). */
  introspectionClient?: ClientCredentials;
  /** Per-request deadline, body included: `10s`. */
  requestTimeout: string;
  /** The client_credentials form (grant_type, resource or audience, scope), as the profile asks for it. */
  tokenParams: Record<string, string>;
  /** The tokens file: { pool, revocable, refreshTokens }, read once and shared by every VU. */
  tokensFile: string;
  /** mixed: relative weights of the operations. */
  weights?: Record<string, number>;
}

interface TokensFile {
  pool: PoolToken[];
  /** Tokens the `mixed` scenario revokes while it runs (each one once). */
  revocable: string[];
  /** One refresh token per chain (refresh-storm, mixed): a VU keeps its chain. */
  refreshTokens: string[];
}

export const config = JSON.parse(open(__ENV.TOKENPROOF_LOAD_CONFIG ?? '')) as LoadConfig;

// A SharedArray is parsed once for all VUs: a 10,000-token pool copied into every VU would cost
// the generator hundreds of megabytes.
function shared<K extends keyof TokensFile>(name: K): TokensFile[K] {
  const load = (): unknown[] => (JSON.parse(open(config.tokensFile)) as TokensFile)[name];
  return new SharedArray(name, load) as TokensFile[K];
}

export const pool = shared('pool');
export const revocable = shared('revocable');
export const refreshTokens = shared('refreshTokens');
