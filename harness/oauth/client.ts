/**
 * A small OAuth client: the HTTP steps the harness, its checks and its tests share (token
 * requests with each client authentication method, PKCE, the login form, introspection,
 * revocation). It returns what the server said, status and all, and never throws on an OAuth
 * error answer: judging the answer is the caller's business.
 */
import { createHash, randomBytes } from 'node:crypto';
import { exportJWK, type KeyObject, SignJWT } from 'jose';
import { accessTokenHash } from './dpop.ts';

export type ClientAuth =
  | { method: 'client_secret_basic'; clientId: string; secret: string }
  | { method: 'client_secret_post'; clientId: string; secret: string }
  | { method: 'private_key_jwt'; clientId: string; privateKey: KeyObject; alg: string; kid?: string; audience: string }
  | { method: 'none'; clientId: string };

export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  /** The parsed JSON body; {} when the body is empty or not JSON (then jsonError says why). */
  body: T;
  text: string;
  /** Set when a non-empty body is not JSON: the parser's message. */
  jsonError?: string;
}

export type FormParams = Record<string, string | string[] | undefined>;

/** The fetch to send with: the global one, or the harness's evidence-recording one. */
export type Fetcher = (url: string | URL, init?: RequestInit) => Promise<Response>;

export function formBody(params: FormParams): URLSearchParams {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) body.append(name, item);
  }
  return body;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding. */
export function basicAuthorization(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

export async function clientAssertion(
  auth: Extract<ClientAuth, { method: 'private_key_jwt' }>,
  claims: Record<string, unknown> = {},
) {
  return new SignJWT({ jti: randomBytes(16).toString('base64url'), ...claims })
    .setProtectedHeader({ alg: auth.alg, ...(auth.kid && { kid: auth.kid }) })
    .setIssuer(auth.clientId)
    .setSubject(auth.clientId)
    .setAudience(auth.audience)
    .setIssuedAt()
    .setExpirationTime('60s')
    .sign(auth.privateKey);
}

async function authParams(auth: ClientAuth | undefined): Promise<{ headers: Record<string, string>; params: FormParams }> {
  if (!auth) return { headers: {}, params: {} };
  switch (auth.method) {
    case 'client_secret_basic':
      return { headers: { authorization: basicAuthorization(auth.clientId, auth.secret) }, params: {} };
    case 'client_secret_post':
      return { headers: {}, params: { client_id: auth.clientId, client_secret: auth.secret } };
    case 'private_key_jwt':
      return {
        headers: {},
        params: {
          client_id: auth.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: await clientAssertion(auth),
        },
      };
    case 'none':
      return { headers: {}, params: { client_id: auth.clientId } };
  }
}

export async function readAnswer<T>(response: Response): Promise<HttpAnswer<T>> {
  const text = await response.text();
  let body: unknown = {};
  let jsonError: string | undefined;
  try {
    body = text ? JSON.parse(text) : {};
  } catch (error) {
    body = {};
    jsonError = (error as Error).message;
  }
  return { status: response.status, headers: response.headers, body: body as T, text, ...(jsonError && { jsonError }) };
}

/** POSTs a form to an OAuth endpoint with the given client authentication. */
export async function postForm<T = Record<string, unknown>>(
  url: string,
  params: FormParams,
  auth?: ClientAuth,
  headers: Record<string, string> = {},
  fetcher: Fetcher = fetch,
): Promise<HttpAnswer<T>> {
  const credentials = await authParams(auth);
  const response = await fetcher(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      ...credentials.headers,
      ...headers,
    },
    body: formBody({ ...credentials.params, ...params }),
    redirect: 'manual',
  });
  return readAnswer<T>(response);
}

export interface TokenAnswer {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
  issued_token_type?: string;
  error?: string;
  error_description?: string;
}

export function tokenRequest(
  tokenEndpoint: string,
  params: FormParams,
  auth?: ClientAuth,
  headers?: Record<string, string>,
  fetcher: Fetcher = fetch,
) {
  return postForm<TokenAnswer>(tokenEndpoint, params, auth, headers, fetcher);
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkcePair(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizationRequest {
  authorizationEndpoint: string;
  clientId: string;
  redirectUri: string;
  scope?: string;
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  resource?: string;
  extra?: Record<string, string>;
}

export function authorizationUrl(request: AuthorizationRequest): string {
  const url = new URL(request.authorizationEndpoint);
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    scope: request.scope,
    state: request.state,
    nonce: request.nonce,
    code_challenge: request.codeChallenge,
    code_challenge_method: request.codeChallenge ? (request.codeChallengeMethod ?? 'S256') : undefined,
    resource: request.resource,
    ...request.extra,
  };
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
}

/**
 * Logs in through the reference issuer's HTML form over plain HTTP (no browser) and returns the
 * redirect's query parameters. For third-party login pages the harness drives a browser instead.
 */
export async function loginWithForm(
  request: AuthorizationRequest,
  user: { username: string; password: string },
  fetcher: Fetcher = fetch,
): Promise<URLSearchParams> {
  const page = await fetcher(authorizationUrl(request), { redirect: 'manual' });
  const html = await page.text();
  const location = page.headers.get('location');
  if (location) return new URL(location).searchParams;
  const loginId = /name="login_id" value="([^"]+)"/.exec(html)?.[1];
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!loginId || !action) throw new Error(`no login form at the authorization endpoint (HTTP ${page.status})`);
  const submit = await fetcher(new URL(action, request.authorizationEndpoint), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: formBody({ login_id: loginId.replace(/&amp;/g, '&'), username: user.username, password: user.password }),
    redirect: 'manual',
  });
  const redirect = submit.headers.get('location');
  if (!redirect) throw new Error(`login did not redirect (HTTP ${submit.status})`);
  return new URL(redirect).searchParams;
}

/** A DPoP proof (RFC 9449 §4.2) for one request. */
export async function dpopProof(
  key: { privateKey: KeyObject; publicKey: KeyObject; alg: string },
  request: { htm: string; htu: string; accessToken?: string; iat?: number; jti?: string; nonce?: string },
): Promise<string> {
  const jwk = await exportJWK(key.publicKey);
  const payload: Record<string, unknown> = {
    jti: request.jti ?? randomBytes(16).toString('base64url'),
    htm: request.htm,
    htu: request.htu,
    iat: request.iat ?? Math.floor(Date.now() / 1000),
    ...(request.accessToken && { ath: accessTokenHash(request.accessToken) }),
    ...(request.nonce && { nonce: request.nonce }),
  };
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk }).sign(key.privateKey);
}
