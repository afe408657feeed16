/**
 * The tokens a load run presents, minted before k6 starts so minting is never in the hot loop:
 * valid ones (the harness test issuer's forger when the resource server trusts it, else the
 * target issuer's client_credentials), and the ones that must be refused (CHECKS.md L01):
 * - forged: a valid token's claims edited under its original signature (S03), which only an RS
 *   that skips the signature check accepts;
 * - expired: signed by a trusted key with exp an hour past (the test issuer's forger; for the
 *   embedded reference issuer, minted under its admin clock shifted back past the token TTL);
 * - revoked: issued, revoked at the RFC 7009 endpoint, and refused by the RS before the load
 *   begins (else the target cannot revoke this kind of token and they are left out, with a note).
 */
import { randomBytes } from 'node:crypto';
import type { PreparedEnvironment } from '../engine/environment.ts';
import { EnvironmentError } from '../lib/errors.ts';
import { pollUntil } from '../lib/poll.ts';
import { loginWithForm, pkcePair, postForm, tokenRequest } from '../oauth/client.ts';
import type { Profile } from '../profile/schema.ts';
import type { RunningTestIssuer } from '../test-issuer/server.ts';
import { clientAuth, type LoadClient, type LoadTarget } from './target-endpoints.ts';

export type TokenKind = 'valid' | 'expired' | 'forged' | 'revoked';
export const invalidKinds = ['expired', 'forged', 'revoked'] as const;

export interface PoolToken {
  kind: TokenKind;
  token: string;
  /** The protected URL to present it to, when not the profile's resourceServer.url. */
  url?: string;
}

export interface TokenShares {
  expired: number;
  forged: number;
  revoked: number;
}

export const defaultShares: TokenShares = { expired: 0.05, forged: 0.05, revoked: 0.05 };

export interface PoolRequest {
  /** Distinct tokens in the pool (valid and invalid together). */
  size: number;
  shares: TokenShares;
  /** Who judges the pool: the resource server (validation) or the issuer's introspection endpoint. */
  judge: 'resourceServer' | 'introspection';
  /** Tokens the mixed scenario revokes while it runs. */
  revocable: number;
  /** Refresh-token chains (one per VU of the refresh operation). */
  refreshChains: number;
  signal?: AbortSignal;
}

export interface PreparedTokens {
  pool: PoolToken[];
  revocable: string[];
  refreshTokens: string[];
  counts: Record<TokenKind, number>;
  /** What was left out and why, for the report. */
  notes: string[];
}

const mintConcurrency = 8;

/** Runs `task` `count` times with a bounded number in flight. */
async function times<T>(count: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) results[index] = await task(index);
  };
  await Promise.all(Array.from({ length: Math.min(mintConcurrency, count) }, worker));
  return results;
}

/** The client_credentials form for tokens the judge accepts: RFC 8707 resource unless the client's tokenParams name the audience. */
export function tokenParams(profile: Profile, judge: PoolRequest['judge']): Record<string, string> {
  const params = profile.issuer?.clients?.primary?.tokenParams ?? {};
  const vendor = 'resource' in params || 'audience' in params;
  // Introspected tokens must be for an audience the issuer knows: not the harness test issuer's.
  const issuerAudience =
    profile.resourceServer?.trusts === 'issuer' ? profile.resourceServer.audience : profile.propagation?.audience;
  const audience =
    judge === 'introspection' ? (profile.issuer?.introspection?.audience ?? issuerAudience) : profile.resourceServer?.audience;
  return {
    grant_type: 'client_credentials',
    ...params,
    ...(!vendor && audience && { resource: audience }),
    ...(profile.resourceServer?.scope && { scope: profile.resourceServer.scope }),
  };
}

/**
 * The client_credentials form of the issuance operation: for a resource server that trusts the
 * issuer, its audience; when it trusts the harness, the issuer's own resource servers
 * (`propagation`); else only what the client's tokenParams say.
 */
export function issuanceParams(profile: Profile): Record<string, string> {
  const rs = profile.resourceServer;
  if (rs?.trusts === 'issuer') return tokenParams(profile, 'resourceServer');
  const params = profile.issuer?.clients?.primary?.tokenParams ?? {};
  const vendor = 'resource' in params || 'audience' in params;
  const propagation = profile.propagation;
  return {
    grant_type: 'client_credentials',
    ...params,
    ...(!vendor && propagation && { resource: propagation.audience }),
    ...(propagation?.scope && { scope: propagation.scope }),
  };
}

/** Mints one access token at the target issuer (client_credentials of `client`). */
async function issuerToken(
  target: LoadTarget,
  profile: Profile,
  client: LoadClient,
  judge: PoolRequest['judge'],
  params: Record<string, string> = tokenParams(profile, judge),
) {
  const answer = await tokenRequest(target.tokenEndpoint ?? '', params, clientAuth(client));
  const token = answer.body.access_token;
  if (answer.status !== 200 || typeof token !== 'string')
    throw new EnvironmentError(
      `the issuer refused client_credentials for client ${client.name} while preparing the load (HTTP ${answer.status}${answer.body.error ? ` ${answer.body.error}` : ''})`,
      'check the client credentials and scopes in the target profile',
    );
  return token;
}

/** The same token with one claim edited and the original signature kept (CHECKS.md S03). */
export function forgeUnderOriginalSignature(token: string): string {
  const parts = token.split('.');
  if (parts.length !== 3) {
    // An opaque token: the same length and alphabet, different bytes, so no lookup can find it.
    return `${token.slice(0, Math.max(0, token.length - 16))}${randomBytes(12).toString('base64url')}`.slice(0, token.length);
  }
  const claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  const edited = { ...claims, sub: `${String(claims['sub'] ?? 'subject')}-forged`, scope: 'read write admin' };
  return `${parts[0]}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${parts[2]}`;
}

/** Deterministic spread of the kinds over the pool, so every second of the run sees each kind. */
function interleave(valid: string[], unordered: PoolToken[]): PoolToken[] {
  const pool: PoolToken[] = valid.map((token) => ({ kind: 'valid', token }));
  // Round-robin over the kinds first, so a short run that uses part of the pool sees each kind.
  const byKind = invalidKinds.map((kind) => unordered.filter((entry) => entry.kind === kind));
  const invalid: PoolToken[] = [];
  for (let index = 0; invalid.length < unordered.length; index++)
    for (const list of byKind) if (list[index]) invalid.push(list[index]!);
  if (invalid.length === 0) return pool;
  const step = (pool.length + invalid.length) / invalid.length;
  invalid.forEach((entry, index) => {
    pool.splice(Math.min(pool.length, Math.floor(index * step)), 0, entry);
  });
  return pool;
}

interface ClockControl {
  /** Shifts the issuer clock by this many seconds (0 restores it). */
  shift(offsetSeconds: number): Promise<void>;
}

/** The embedded reference issuer's admin clock: the one issuer whose clock the harness controls here. */
function embeddedClock(environment: PreparedEnvironment): ClockControl | undefined {
  const issuer = environment.credentials?.['issuer'];
  const adminToken = environment.credentials?.['TOKENPROOF_ADMIN_TOKEN'];
  if (environment.kind !== 'embedded' || !issuer || !adminToken) return undefined;
  return {
    async shift(offsetSeconds) {
      const response = await fetch(`${issuer}/admin/clock`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ offsetSeconds }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok)
        throw new EnvironmentError(`the reference issuer refused the clock shift (HTTP ${response.status})`, 'see its log');
    },
  };
}

function expSeconds(token: string): { exp?: number; iat?: number } {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    return {
      ...(typeof claims['exp'] === 'number' && { exp: claims['exp'] }),
      ...(typeof claims['iat'] === 'number' && { iat: claims['iat'] }),
    };
  } catch {
    return {};
  }
}

/**
 * Who can tell a revoked token from a live one: the introspection endpoint, the resource server
 * when it trusts the target issuer, or else the profile's `propagation` resource servers (which
 * trust the target issuer while resourceServer trusts the harness). A string says why none can.
 */
function revocationJudges(
  profile: Profile,
  target: LoadTarget,
  judge: PoolRequest['judge'],
  fromIssuer: boolean,
): { urls: (string | undefined)[]; params?: Record<string, string> } | string {
  if (!target.revocationEndpoint || target.clients.length === 0 || !target.tokenEndpoint)
    return 'the issuer advertises no revocation_endpoint (or the profile has no client to revoke with)';
  if (judge === 'introspection' || fromIssuer) return { urls: [undefined] };
  const propagation = profile.propagation;
  if (!propagation)
    return 'the resource server trusts the harness test issuer, which cannot revoke; name resource servers that trust the issuer in propagation';
  const params = profile.issuer?.clients?.primary?.tokenParams ?? {};
  const vendor = 'resource' in params || 'audience' in params;
  return {
    urls: propagation.resourceServers,
    params: {
      grant_type: 'client_credentials',
      ...params,
      ...(!vendor && { resource: propagation.audience }),
      ...(propagation.scope && { scope: propagation.scope }),
    },
  };
}

async function rsAccepts(url: string, token: string, timeoutMs: number): Promise<boolean> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  return response.status >= 200 && response.status < 300;
}

async function introspectionActive(target: LoadTarget, token: string): Promise<boolean> {
  if (!target.introspectionEndpoint || !target.introspectionClient) return false;
  const answer = await postForm(target.introspectionEndpoint, { token }, clientAuth(target.introspectionClient));
  return answer.status === 200 && answer.body['active'] === true;
}

/**
 * The harness test issuer's forger when the resource server under load trusts it (trusts:
 * harness); undefined when it trusts the target issuer, whose tokens it must then get.
 */
export function poolForger(environment: PreparedEnvironment): RunningTestIssuer['forger'] | undefined {
  return environment.target.profile.resourceServer?.trusts === 'issuer' ? undefined : environment.testIssuer?.forger;
}

export async function prepareTokens(
  environment: PreparedEnvironment,
  target: LoadTarget,
  request: PoolRequest,
): Promise<PreparedTokens> {
  const profile = environment.target.profile;
  const notes: string[] = [];
  const counts: Record<TokenKind, number> = { valid: 0, expired: 0, forged: 0, revoked: 0 };
  const forger = request.judge === 'resourceServer' ? poolForger(environment) : undefined;
  const fromIssuer = !forger;
  const client = target.clients[0];
  if (fromIssuer && (!client || !target.tokenEndpoint))
    throw new EnvironmentError(
      'the load needs valid tokens, but the profile has no client with a secret to mint them at the issuer',
      'add issuer.clients.primary with a client_secret, or let the resource server trust the harness (trusts: harness)',
    );
  const mintValid = (count: number) =>
    times(count, async () => (forger ? forger.accessToken() : issuerToken(target, profile, client!, request.judge)));

  const wanted = (share: number) => (request.size > 0 ? Math.round(request.size * share) : 0);
  const invalid: PoolToken[] = [];
  const validCount = Math.max(
    1,
    request.size - wanted(request.shares.expired) - wanted(request.shares.forged) - wanted(request.shares.revoked),
  );
  const valid = request.size > 0 ? await mintValid(validCount) : [];

  // Forged: edited claims under the original signature of valid tokens.
  for (let index = 0; index < wanted(request.shares.forged); index++)
    invalid.push({ kind: 'forged', token: forgeUnderOriginalSignature(valid[index % valid.length] ?? '') });

  // Expired: a trusted signature and an exp well past any leeway (RFC 7519 §4.1.4).
  const expiredCount = wanted(request.shares.expired);
  if (expiredCount > 0) {
    if (forger) {
      for (let index = 0; index < expiredCount; index++) invalid.push({ kind: 'expired', token: forger.expiringIn(-3600) });
    } else {
      const clock = embeddedClock(environment);
      if (!clock) {
        notes.push(
          'expired tokens left out: the harness cannot make this issuer mint an expired token (let the RS trust the harness test issuer, trusts: harness)',
        );
      } else {
        const sample = expSeconds(valid[0] ?? '');
        const ttl = sample.exp !== undefined && sample.iat !== undefined ? sample.exp - sample.iat : 3600;
        await clock.shift(-(ttl + 3600));
        try {
          const expired = await times(expiredCount, () => issuerToken(target, profile, client!, request.judge));
          for (const token of expired) invalid.push({ kind: 'expired', token });
        } finally {
          await clock.shift(0);
        }
      }
    }
  }

  // Revoked: revoked at the issuer, then confirmed refused before the load (the baseline).
  const revokedCount = wanted(request.shares.revoked);
  if (revokedCount > 0) {
    const judges = revocationJudges(profile, target, request.judge, fromIssuer);
    if (typeof judges === 'string') notes.push(`revoked tokens left out: ${judges}`);
    else {
      const revoked = await times(revokedCount, async (index) => {
        const url = judges.urls[index % judges.urls.length];
        const token = await issuerToken(target, profile, client!, request.judge, judges.params);
        const answer = await postForm(
          target.revocationEndpoint!,
          { token, token_type_hint: 'access_token' },
          clientAuth(client!),
        );
        return answer.status === 200 ? { token, ...(url && { url }) } : undefined;
      });
      const tokens = revoked.filter((entry) => entry !== undefined);
      const judgeAccepts = (entry: { token: string; url?: string }) =>
        request.judge === 'introspection'
          ? introspectionActive(target, entry.token)
          : rsAccepts(entry.url ?? target.resourceServerUrl ?? '', entry.token, profile.timeouts.request);
      const boundMs = profile.slo.revocationPropagation ?? 10_000;
      const settled = await pollUntil(
        async () => {
          const accepted = await Promise.all(tokens.map(judgeAccepts));
          return accepted.some(Boolean) ? undefined : true;
        },
        { timeoutMs: boundMs, intervalMs: 250, ...(request.signal && { signal: request.signal }) },
      );
      if (tokens.length < revokedCount || !settled.value)
        notes.push(
          `revoked tokens left out: ${tokens.length < revokedCount ? 'the issuer did not revoke every token (RFC 7009 §2.2)' : `the ${request.judge === 'introspection' ? 'introspection endpoint' : 'resource server'} still accepted revoked tokens ${Math.round(boundMs / 1000)} s after revocation`}; the revocation suite judges that (V03, V08)`,
        );
      else for (const entry of tokens) invalid.push({ kind: 'revoked', ...entry });
    }
  }

  const revocable =
    request.revocable > 0 && fromIssuer && target.revocationEndpoint
      ? await times(request.revocable, () => issuerToken(target, profile, client!, request.judge))
      : [];
  const refreshTokens = request.refreshChains > 0 ? await userRefreshTokens(target, profile, request.refreshChains) : [];

  const pool = interleave(valid, invalid);
  for (const entry of pool) counts[entry.kind]++;
  return { pool, revocable, refreshTokens, counts, notes };
}

/** Login fill values by the field they fill (#username, #password). */
function loginValue(profile: Profile, field: 'username' | 'password'): string | undefined {
  for (const step of profile.issuer?.login?.steps ?? [])
    if ('fill' in step && step.fill.replace(/^#/, '').toLowerCase().includes(field)) return step.value;
  return undefined;
}

/**
 * One refresh token per chain, from authorization_code + PKCE logins through the issuer's HTML
 * login form over plain HTTP (the reference issuer's). A login page that needs a browser cannot
 * be driven fast enough for hundreds of chains; the error says so.
 */
async function userRefreshTokens(target: LoadTarget, profile: Profile, chains: number): Promise<string[]> {
  const login = profile.issuer?.login;
  const client = target.clients[0];
  const username = loginValue(profile, 'username');
  const password = loginValue(profile, 'password');
  if (!login?.redirectUri || !client || !target.authorizationEndpoint || !username || !password)
    throw new EnvironmentError(
      'refresh chains need a user login: issuer.login with a redirectUri and #username/#password fill steps, and a client with a secret',
      'add issuer.login to the target profile',
    );
  return times(chains, async () => {
    const pkce = pkcePair();
    const state = randomBytes(8).toString('base64url');
    const params = await loginWithForm(
      {
        authorizationEndpoint: target.authorizationEndpoint!,
        clientId: client.id,
        redirectUri: login.redirectUri!,
        scope: 'openid read',
        state,
        codeChallenge: pkce.challenge,
      },
      { username, password },
    ).catch((error: Error) => {
      throw new EnvironmentError(
        `could not log in through the issuer's login form over HTTP: ${error.message}`,
        'refresh-storm drives plain HTML login forms (as the reference issuer has); use another scenario for this target',
      );
    });
    const code = params.get('code');
    if (!code)
      throw new EnvironmentError(`the login returned no code (${params.get('error') ?? 'no error'})`, 'check issuer.login');
    const answer = await tokenRequest(
      target.tokenEndpoint ?? '',
      { grant_type: 'authorization_code', code, redirect_uri: login.redirectUri!, code_verifier: pkce.verifier },
      clientAuth(client),
    );
    if (typeof answer.body.refresh_token !== 'string')
      throw new EnvironmentError(
        `the code exchange gave no refresh token (HTTP ${answer.status})`,
        'the client needs the refresh_token grant',
      );
    return answer.body.refresh_token;
  });
}
