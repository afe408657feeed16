// What the harness hands a scenario: one JSON file (owner-only, deleted after the run) named by
// TOKENPROOF_LOAD_CONFIG. Tokens and client secrets travel in it, never in argv or the environment,
// and minting happens before k6 starts (DESIGN.md "Load": the generator is not the bottleneck).
// On a cluster (k6-operator) there is no token file: setup() mints the pool (lib/cluster.ts) and
// client secrets come from the runner's environment (a Kubernetes Secret), never from the manifest.
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
  /** The secret itself (local runs), or the environment variable that holds it (cluster runs). */
  secret?: string;
  secretEnv?: string;
  auth: 'client_secret_basic' | 'client_secret_post';
}

/** Cluster runs: what setup() mints before the VUs start. */
export interface ClusterMint {
  poolSize: number;
  forgedShare: number;
  revokedShare: number;
  /** How long setup() waits for the RS to refuse revoked tokens before leaving them out. */
  revocationWaitSeconds: number;
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
  /** The tokens file: { pool, revocable, refreshTokens }, read once and shared by every VU (local runs). */
  tokensFile?: string;
  /** Set instead of tokensFile on a cluster: setup() mints. */
  cluster?: ClusterMint;
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
  const file = config.tokensFile;
  const load = (): unknown[] => (file ? (JSON.parse(open(file)) as TokensFile)[name] : []);
  return new SharedArray(name, load) as TokensFile[K];
}

export const pool = shared('pool');
export const revocable = shared('revocable');
export const refreshTokens = shared('refreshTokens');
