/**
 * Starts a real reference issuer and a real reference resource server trusting it, for a test
 * file, and offers the steps RS tests share: get a token, call the protected resource, forge a
 * token signed with the issuer's real signing key (so a refusal proves the claim check, not the
 * signature check).
 */
import { randomBytes, sign } from 'node:crypto';
import { type ClientAuth, tokenRequest } from '../../harness/oauth/client.ts';
import { signCompact } from '../../harness/oauth/jws.ts';
import type { IssuerConfigInput } from '../../harness/reference/issuer/config.ts';
import type { ResourceServerConfigInput } from '../../harness/reference/resource-server/config.ts';
import { type RunningResourceServer, startResourceServer } from '../../harness/reference/resource-server/server.ts';
import { startTestIssuer, type TestIssuer } from './issuer.ts';

export const audience = 'api://default';

export interface RsAnswer {
  status: number;
  headers: Headers;
  wwwAuthenticate: string | null;
  body: Record<string, unknown>;
  text: string;
}

export interface CallOptions {
  /** Authorization scheme; default Bearer. */
  scheme?: string;
  /** A raw Authorization header instead of scheme + token; null sends none. */
  authorization?: string | null;
  path?: string;
  method?: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface Forgery {
  /** Header members over the valid header ({typ: at+jwt, kid, alg}); undefined deletes a member. */
  header?: Record<string, unknown>;
  /** Claims over the valid claims; undefined deletes a claim. */
  claims?: Record<string, unknown>;
}

export interface TestStack {
  issuer: TestIssuer;
  rs: RunningResourceServer;
  /** A client_credentials access token from the issuer. */
  token(options?: { scope?: string; client?: ClientAuth; headers?: Record<string, string> }): Promise<string>;
  /** Calls the RS's protected resource with `token` (Bearer unless told otherwise). */
  call(token: string | undefined, options?: CallOptions): Promise<RsAnswer>;
  /** A JWT access token signed with the issuer's current private key, with the changes asked for. */
  forge(forgery?: Forgery): string;
  /** A JWS from raw header and payload JSON text, signed with the issuer's current key (RS256). */
  signRaw(headerJson: string, payloadJson: string): string;
  validClaims(): Record<string, unknown>;
  close(): Promise<void>;
}

type RsOverrides = Partial<ResourceServerConfigInput>;

export async function startTestStack(
  options: { issuer?: Partial<IssuerConfigInput>; rs?: RsOverrides | ((issuer: TestIssuer) => RsOverrides) } = {},
): Promise<TestStack> {
  const issuer = await startTestIssuer(options.issuer);
  let rs: RunningResourceServer;
  try {
    const overrides = typeof options.rs === 'function' ? options.rs(issuer) : options.rs;
    rs = await startResourceServer(testRsConfig(issuer, overrides));
  } catch (error) {
    await issuer.close();
    throw error;
  }
  const validClaims = () => {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: issuer.url,
      sub: 'primary',
      aud: audience,
      exp: now + 300,
      iat: now,
      jti: randomBytes(16).toString('base64url'),
      client_id: 'primary',
      scope: 'read write',
    };
  };
  const signingKey = () => issuer.issuer.context.keys.signingKey();
  const signRaw = (headerJson: string, payloadJson: string) => {
    const input = `${Buffer.from(headerJson).toString('base64url')}.${Buffer.from(payloadJson).toString('base64url')}`;
    const signature = sign('sha256', Buffer.from(input), signingKey().privateKey);
    return `${input}.${signature.toString('base64url')}`;
  };
  return {
    issuer,
    rs,
    async token(tokenOptions = {}) {
      const answer = await tokenRequest(
        issuer.endpoints.token,
        { grant_type: 'client_credentials', scope: tokenOptions.scope ?? 'read write' },
        tokenOptions.client ?? issuer.primary,
        tokenOptions.headers,
      );
      if (answer.status !== 200 || !answer.body.access_token)
        throw new Error(`token request failed: HTTP ${answer.status} ${answer.text}`);
      return answer.body.access_token;
    },
    call: (token, callOptions = {}) => callProtected(rs.url, token, callOptions),
    forge(forgery = {}) {
      const key = signingKey();
      const header = withChanges({ typ: 'at+jwt', kid: key.kid }, forgery.header);
      const claims = withChanges(validClaims(), forgery.claims);
      if (forgery.header && Object.hasOwn(forgery.header, 'alg')) {
        return signRaw(JSON.stringify(withChanges({ alg: key.alg, ...header }, forgery.header)), JSON.stringify(claims));
      }
      return signCompact(header, claims, key.alg, key.privateKey);
    },
    signRaw,
    validClaims,
    async close() {
      await rs.close();
      await issuer.close();
    },
  };
}

/** The RS configuration the tests use: trusts `issuer`, audience api://default, scope read. */
export function testRsConfig(issuer: TestIssuer, overrides: Partial<ResourceServerConfigInput> = {}): ResourceServerConfigInput {
  return {
    issuer: issuer.url,
    audience,
    requiredScope: ['read'],
    ...overrides,
    ...(overrides.mode === 'introspection' &&
      !overrides.introspection && {
        introspection: { clientId: 'secondary', clientSecret: issuer.secrets.secondary },
      }),
  };
}

export async function callProtected(baseUrl: string, token: string | undefined, options: CallOptions = {}): Promise<RsAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.authorization !== undefined) {
    if (options.authorization !== null) headers.authorization = options.authorization;
  } else if (token !== undefined) {
    headers.authorization = `${options.scheme ?? 'Bearer'} ${token}`;
  }
  const url = `${baseUrl}${options.path ?? '/protected'}${options.query ? `?${options.query}` : ''}`;
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers,
    ...(options.body !== undefined && { body: options.body }),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = {};
  }
  return {
    status: response.status,
    headers: response.headers,
    wwwAuthenticate: response.headers.get('www-authenticate'),
    body,
    text,
  };
}

/** Polls `probe` until it returns true or the deadline passes; returns whether it did. */
export async function eventually(probe: () => Promise<boolean>, deadlineMs = 10_000, everyMs = 50): Promise<boolean> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    if (await probe()) return true;
    if (performance.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

function withChanges(base: Record<string, unknown>, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete result[name];
    else result[name] = value;
  }
  return result;
}
