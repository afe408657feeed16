// The operations every scenario is built from: one HTTP request each, classified into the
// correctness counters. A scenario script only picks which operation an iteration runs.
import exec from 'k6/execution';
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import { authenticated, clientFor } from './client.ts';
import { config, pool as filePool, revocable as fileRevocable, type PoolToken, refreshTokens } from './config.ts';
import { available, errors, refreshFailed, serverErrors, validRefused, wronglyAccepted } from './metrics.ts';

// Refusals of invalid tokens are the expected answer, so k6's own http_req_failed does not count them.
const expectedForInvalid = http.expectedStatuses({ min: 200, max: 299 }, 400, 401, 403);

type Answer = RefinedResponse<ResponseType | undefined>;

/** Records the outcome of a request that should succeed. */
function recordLegitimate(response: Answer, succeeded: boolean): void {
  if (response.status >= 500) serverErrors.add(1);
  else if (response.status >= 400) validRefused.add(1);
  available.add(succeeded);
  errors.add(!succeeded);
}

/** Records the outcome of presenting an invalid token: accepted is the worst outcome there is. */
function recordInvalid(response: Answer, kind: PoolToken['kind'], accepted: boolean): void {
  if (accepted) wronglyAccepted.add(1, { kind });
  if (response.status >= 500) serverErrors.add(1);
  errors.add(accepted || response.status >= 500 || response.status === 0);
}

/** What setup() minted on a cluster run (lib/cluster.ts); local runs read the token file. */
export interface SetupData {
  pool: PoolToken[];
  revocable: string[];
}

let pool: readonly PoolToken[] = filePool;
let revocable: readonly string[] = fileRevocable;

/** Each scenario's default function hands its setup data here first. */
export function useSetupData(data: SetupData | undefined): void {
  if (!data) return;
  pool = data.pool;
  revocable = data.revocable;
}

export function poolEntry(): PoolToken {
  const entry = pool[exec.scenario.iterationInTest % pool.length];
  if (!entry) throw new Error('the token pool is empty');
  return entry;
}

/** client_credentials at the token endpoint (RFC 6749 §4.4). */
export function issue(index = exec.scenario.iterationInTest): void {
  const client = clientFor(index);
  const request = authenticated(client, { ...config.tokenParams, grant_type: 'client_credentials' });
  const response = http.post(config.tokenEndpoint ?? '', request.body, {
    headers: request.headers,
    timeout: config.requestTimeout,
    tags: { op: 'issuance', auth: client.auth },
  });
  const ok = response.status === 200 && typeof safeJson(response)?.['access_token'] === 'string';
  recordLegitimate(response, ok);
}

/** A protected-resource call with a pool token: valid ones must pass, every other kind must be refused. */
export function validate(entry: PoolToken = poolEntry()): void {
  const valid = entry.kind === 'valid';
  const response = http.get(entry.url ?? config.resourceServerUrl ?? '', {
    headers: { authorization: `Bearer ${entry.token}` },
    timeout: config.requestTimeout,
    tags: { op: 'validation', kind: entry.kind },
    ...(valid ? {} : { responseCallback: expectedForInvalid }),
  });
  const accepted = response.status >= 200 && response.status < 300;
  if (valid) recordLegitimate(response, accepted);
  else recordInvalid(response, entry.kind, accepted);
}

/** RFC 7662 introspection of a pool token: `active` must be true exactly for the valid ones. */
export function introspect(entry: PoolToken = poolEntry()): void {
  const request = authenticated(config.introspectionClient ?? clientFor(0), {
    token: entry.token,
    token_type_hint: 'access_token',
  });
  const response = http.post(config.introspectionEndpoint ?? '', request.body, {
    headers: request.headers,
    timeout: config.requestTimeout,
    tags: { op: 'introspection', kind: entry.kind },
  });
  const active = response.status === 200 && safeJson(response)?.['active'] === true;
  if (entry.kind === 'valid') recordLegitimate(response, active);
  else recordInvalid(response, entry.kind, active);
}

/** RFC 7009 revocation of a token no other iteration uses; the answer must be 200 (§2.2). */
export function revoke(): void {
  const token = revocable[exec.scenario.iterationInTest % Math.max(1, revocable.length)];
  if (token === undefined) {
    issue();
    return;
  }
  const request = authenticated(clientFor(0), { token, token_type_hint: 'access_token' });
  const response = http.post(config.revocationEndpoint ?? '', request.body, {
    headers: request.headers,
    timeout: config.requestTimeout,
    tags: { op: 'revocation' },
  });
  recordLegitimate(response, response.status === 200);
}

// Each VU keeps its own chain: with rotation, the refresh token it holds is the only live one.
const chains = new Map<number, string>();

/** refresh_token grant on this VU's chain (RFC 6749 §6); with rotation the answer carries the next one. */
export function refresh(): void {
  const vu = exec.vu.idInTest;
  const current = chains.get(vu) ?? refreshTokens[(vu - 1) % Math.max(1, refreshTokens.length)];
  if (current === undefined) throw new Error('the load configuration has no refresh token');
  const request = authenticated(clientFor(0), { grant_type: 'refresh_token', refresh_token: current });
  const response = http.post(config.tokenEndpoint ?? '', request.body, {
    headers: request.headers,
    timeout: config.requestTimeout,
    tags: { op: 'refresh' },
  });
  const body = response.status === 200 ? safeJson(response) : undefined;
  const ok = typeof body?.['access_token'] === 'string';
  const next = body?.['refresh_token'];
  if (typeof next === 'string') chains.set(vu, next);
  refreshFailed.add(!ok);
  recordLegitimate(response, ok);
}

function safeJson(response: Answer): Record<string, unknown> | undefined {
  try {
    const value = response.json();
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
