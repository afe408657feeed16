/**
 * Flaws of the token endpoint and of refresh tokens, for the token-endpoint and refresh suite
 * tests: each one is a way real issuers get these wrong, applied to the reference issuer behind
 * the flawed-issuer proxy. Most rewrite a request or an answer; the ones that are about stored
 * state (a code that can be redeemed twice, a refresh token whose reuse is not noticed) change
 * the in-process test issuer's store just before it handles the request, which is test-only
 * and keeps these bugs out of the product.
 */
import { createHash, randomBytes } from 'node:crypto';
import { basicAuthorization, clientAssertion } from '../../harness/oauth/client.ts';
import { hashSecretValue } from '../../harness/reference/issuer/store.ts';
import type { Flaw, FlawAnswer, FlawRequest } from './flawed-issuer.ts';
import type { TestIssuer } from './issuer.ts';

export const form = (request: FlawRequest) => new URLSearchParams(request.body);
const isToken = (path: string) => path === '/token';
const grantOf = (request: FlawRequest) => form(request).get('grant_type');
const withForm = (request: FlawRequest, params: URLSearchParams): FlawRequest => ({ ...request, body: params.toString() });
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** The client a request authenticates as (Basic or client_id in the form). */
export function clientIdOf(request: FlawRequest): string | undefined {
  const basic = /^basic +(\S+)/i.exec(String(request.headers.authorization ?? ''))?.[1];
  if (basic) return decodeURIComponent(Buffer.from(basic, 'base64').toString('utf8').split(':')[0] ?? '');
  return form(request).get('client_id') ?? undefined;
}

/** Rewrites the JSON answer of token requests of one grant. */
export function tokenAnswer(grant: string, change: (body: Record<string, unknown>, answer: FlawAnswer) => void): Flaw {
  return {
    path: isToken,
    answer: (answer, request) => {
      if (grantOf(request) !== grant || !answer.json || typeof answer.json !== 'object') return undefined;
      const body = answer.json as Record<string, unknown>;
      change(body, answer);
      return answer;
    },
  };
}

/** Changes a token request of one grant (and may reach into the issuer's state first). */
export function tokenRequest(
  grant: string,
  change: (params: URLSearchParams, issuer: TestIssuer, request: FlawRequest) => void,
): Flaw {
  return {
    path: isToken,
    request: (request, issuer) => {
      if (grantOf(request) !== grant) return undefined;
      const params = form(request);
      change(params, issuer, request);
      return withForm(request, params);
    },
  };
}

/** Rewrites an access token's JOSE header and claims, keeping the signature (now invalid: these checks judge content). */
export function rewriteJwt(
  token: string,
  change: (header: Record<string, unknown>, claims: Record<string, unknown>) => void,
): string {
  const [header, payload, signature] = token.split('.');
  const decoded = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  const h = decoded(header!);
  const c = decoded(payload!);
  change(h, c);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode(h)}.${encode(c)}.${signature}`;
}

const codeRecord = (issuer: TestIssuer, code: string | null) =>
  code ? issuer.issuer.context.store.codes.get(hashSecretValue(code)) : undefined;
const refreshRecord = (issuer: TestIssuer, token: string | null) =>
  token ? issuer.issuer.context.store.refreshTokens.get(hashSecretValue(token)) : undefined;

/**
 * PKCE not enforced: an authorization request without a challenge gets one added (so the
 * issuer lets it through), and at the token endpoint the code's challenge is made to match
 * whatever verifier comes (one is added when none does). `downgradeOnly`: only codes issued
 * without a challenge are affected, and a verifier for them is still refused — the issuer lets
 * a confidential client skip PKCE, nothing worse.
 */
export function pkceNotEnforced(options: { skipOnly?: boolean } = {}): Flaw[] {
  const unchallenged = new Set<string>();
  return [
    {
      path: '/authorize',
      request: (request) => {
        if (request.method !== 'GET') return undefined;
        const url = new URL(request.url ?? '/', 'http://proxy');
        if (url.searchParams.has('code_challenge')) return undefined;
        url.searchParams.set('code_challenge', s256(randomBytes(32).toString('base64url')));
        url.searchParams.set('code_challenge_method', 'S256');
        unchallenged.add(url.searchParams.get('state') ?? '');
        return { ...request, url: `${url.pathname}${url.search}` };
      },
    },
    tokenRequest('authorization_code', (params, issuer) => {
      const record = codeRecord(issuer, params.get('code'));
      if (!record) return;
      const verifier = params.get('code_verifier');
      if (options.skipOnly) {
        if (verifier) return;
        const added = randomBytes(32).toString('base64url');
        record.codeChallenge = s256(added);
        params.set('code_verifier', added);
        return;
      }
      if (verifier) record.codeChallenge = s256(verifier);
      else {
        const added = randomBytes(32).toString('base64url');
        record.codeChallenge = s256(added);
        params.set('code_verifier', added);
      }
    }),
  ];
}

/** An authorization code that can be redeemed again. */
export const reusableCode: Flaw = tokenRequest('authorization_code', (params, issuer) => {
  const record = codeRecord(issuer, params.get('code'));
  if (record) record.redeemed = false;
});

/** A replayed code is refused, but the tokens of its first redemption are left alive. */
export const reuseKeepsTokens: Flaw = tokenRequest('authorization_code', (params, issuer) => {
  const record = codeRecord(issuer, params.get('code'));
  if (record?.redeemed) delete record.familyId;
});

/** redirect_uri not compared at the token endpoint. */
export const redirectUriNotCompared: Flaw = tokenRequest('authorization_code', (params, issuer) => {
  const record = codeRecord(issuer, params.get('code'));
  if (record && params.get('redirect_uri')) record.redirectUri = params.get('redirect_uri')!;
});

/** A code redeemable by any client. */
export const codeNotBoundToClient: Flaw = tokenRequest('authorization_code', (params, issuer, request) => {
  const record = codeRecord(issuer, params.get('code'));
  const client = clientIdOf(request);
  if (record && client) record.clientId = client;
});

/** A wrong secret of the primary client is swapped for the right one: any secret authenticates. */
export const wrongSecretAccepted: Flaw = {
  path: isToken,
  request: (request, issuer) => {
    if (clientIdOf(request) !== 'primary' || !request.headers.authorization) return undefined;
    return { ...request, headers: { ...request.headers, authorization: basicAuthorization('primary', issuer.secrets.primary) } };
  },
};

/** Refresh without client authentication: the proxy authenticates the bare request as primary. */
export const refreshWithoutAuthAccepted: Flaw = {
  path: isToken,
  request: (request, issuer) => {
    if (grantOf(request) !== 'refresh_token' || request.headers.authorization) return undefined;
    const params = form(request);
    if (params.has('client_secret')) return undefined;
    params.delete('client_id');
    return {
      ...request,
      headers: { ...request.headers, authorization: basicAuthorization('primary', issuer.secrets.primary) },
      body: params.toString(),
    };
  },
};

/** Refresh: a rotated refresh token is made active again before the issuer sees it (reuse not detected). */
export const reuseNotDetected: Flaw = tokenRequest('refresh_token', (params, issuer) => {
  const record = refreshRecord(issuer, params.get('refresh_token'));
  if (record?.state === 'rotated') {
    record.state = 'active';
    delete record.successorHash;
  }
});

/** Refresh: reuse of a rotated token is refused by the proxy itself, so the issuer never revokes the family. */
export const reuseRefusedWithoutRevoking: Flaw = {
  path: isToken,
  respond: (request, issuer) => {
    if (grantOf(request) !== 'refresh_token') return undefined;
    const record = refreshRecord(issuer, form(request).get('refresh_token'));
    if (record?.state !== 'rotated') return undefined;
    return { status: 400, body: { error: 'invalid_grant', error_description: 'refresh token already used' } };
  },
};

/** Refresh: the requested scope is granted whatever the refresh token carried. */
export const refreshScopeEscalation: Flaw = tokenRequest('refresh_token', (params, issuer) => {
  const record = refreshRecord(issuer, params.get('refresh_token'));
  const scope = params.get('scope');
  if (record && scope) record.scope = [...new Set([...record.scope, ...scope.split(' ')])];
});

/**
 * Refresh: the answer repeats the login's access token, as a deterministic JWT without jti minted
 * in the same second would (RFC 6749 §6 allows it: R01 only warns).
 */
export function refreshRepeatsLoginAccessToken(): Flaw {
  let login: unknown;
  return {
    path: isToken,
    answer: (answer, request) => {
      const body = answer.json as Record<string, unknown> | undefined;
      if (answer.status !== 200 || !body || typeof body !== 'object') return undefined;
      if (grantOf(request) === 'authorization_code') login = body.access_token;
      if (grantOf(request) !== 'refresh_token' || typeof login !== 'string') return undefined;
      body.access_token = login;
      return answer;
    },
  };
}

/** The login grants a scope it was not asked for, as Keycloak adds its default scopes (RFC 6749 §3.3 allows it). */
export const loginAddsScope = (scope: string): Flaw =>
  tokenRequest('authorization_code', (params, issuer) => {
    const record = codeRecord(issuer, params.get('code'));
    if (record && !record.scope.includes(scope)) record.scope.push(scope);
  });

/** Refresh: a refresh token works for any client. */
export const refreshNotBoundToClient: Flaw = tokenRequest('refresh_token', (params, issuer, request) => {
  const record = refreshRecord(issuer, params.get('refresh_token'));
  const client = clientIdOf(request);
  if (record && client) {
    record.clientId = client;
    const family = issuer.issuer.context.store.families.get(record.familyId);
    if (family) family.clientId = client;
  }
});

/** Refresh: the DPoP binding of a refresh token family is not enforced. */
export const dpopBindingIgnored: Flaw = tokenRequest('refresh_token', (params, issuer) => {
  const record = refreshRecord(issuer, params.get('refresh_token'));
  const family = record ? issuer.issuer.context.store.families.get(record.familyId) : undefined;
  if (family) delete family.jkt;
});

/**
 * Refresh: the refresh-token store loses updates, as an unguarded read-modify-write does when
 * requests race: every concurrent refresh sees RT1 still active and mints its own successor.
 * Returns the restore function (the store is the test issuer's own).
 */
export function refreshStoreLosesUpdates(issuer: TestIssuer): () => void {
  const store = issuer.issuer.context.store.refreshTokens;
  const get = store.get.bind(store);
  store.get = (key: string) => {
    const record = get(key);
    return record && { ...record };
  };
  return () => {
    store.get = get;
  };
}

/**
 * private_key_jwt: an assertion with a wrong aud, an expiry in the past or no signature is
 * swapped for a valid one, as an issuer that checks only the client id would let it through.
 * The valid ones are signed up front (the proxy's request hook is synchronous).
 */
export async function assertionClaimsIgnored(issuer: TestIssuer, count = 8): Promise<Flaw> {
  const auth = issuer.jwtClient;
  if (auth.method !== 'private_key_jwt') throw new Error('the test issuer has no private_key_jwt client');
  const pool = await Promise.all(Array.from({ length: count }, () => clientAssertion(auth)));
  return {
    path: isToken,
    request: (request) => {
      const params = form(request);
      const assertion = params.get('client_assertion');
      if (!assertion) return undefined;
      const [header, payload] = assertion.split('.').map((part) => {
        try {
          return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
      const valid =
        header?.alg !== 'none' &&
        payload?.aud === auth.audience &&
        typeof payload?.exp === 'number' &&
        payload.exp > Date.now() / 1000;
      const replacement = valid ? undefined : pool.shift();
      if (!replacement) return undefined;
      params.set('client_assertion', replacement);
      return withForm(request, params);
    },
  };
}
