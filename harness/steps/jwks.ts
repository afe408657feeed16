/**
 * JWKS steps: fetch jwks_uri (once per run, like discovery: a hung or huge key set is asked once
 * and reported by the first check that needed it), insist on {"keys":[...]}, decode a token's
 * JOSE header. A check that must see the key set as it is now (rotation) asks for a fresh copy,
 * which then becomes the run's shared one.
 */
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { CheckSkipped, StepError } from '../runner/verdict.ts';
import type { discoverySteps } from './discovery.ts';
import type { StepIO } from './io.ts';

export type Jwk = Record<string, unknown>;

export interface FetchedJwks {
  url: string;
  status: number;
  /** The keys when the body is {"keys":[objects...]}; undefined otherwise. */
  keys: Jwk[] | undefined;
  body: unknown;
  jsonError?: string;
}

export interface JwksOptions {
  /** Ask jwks_uri again instead of using the run's copy (the key set changed: a rotation). */
  fresh?: boolean;
}

export function jwksSteps(io: StepIO, discovery: ReturnType<typeof discoverySteps>) {
  async function fetchJwks(): Promise<FetchedJwks> {
    const url = await discovery.endpoint('jwks_uri');
    const answer = await discovery.get(url).catch((error: Error) => {
      if (io.signal?.aborted) throw error;
      throw new StepError(`jwks_uri ${url} gave no usable answer: ${error.message}`);
    });
    const body = answer.jsonError ? undefined : (answer.body as { keys?: unknown });
    const keys =
      Array.isArray(body?.keys) && body.keys.every((key) => key && typeof key === 'object' && !Array.isArray(key))
        ? (body.keys as Jwk[])
        : undefined;
    return { url, status: answer.status, keys, body, ...(answer.jsonError && { jsonError: answer.jsonError }) };
  }

  let pointedAtOwner = false;

  async function jwks(options: JwksOptions = {}): Promise<FetchedJwks> {
    // jwks_uri is OPTIONAL in RFC 8414 §2 (an issuer of opaque tokens may have none): nothing to
    // judge, not a broken target. D04 fails its absence where OIDC Discovery §3 requires it.
    if ((await discovery.optionalEndpoint('jwks_uri')) === undefined)
      throw new CheckSkipped('discovery advertises no jwks_uri (optional in RFC 8414 §2; D04 judges where it is required)');
    const lookup = options.fresh ? io.cache.refresh.bind(io.cache) : io.cache.get.bind(io.cache);
    const { value, firstUse, owner } = await lookup('jwks', io.checkId, fetchJwks);
    if (!firstUse && !pointedAtOwner) {
      pointedAtOwner = true;
      io.note(`JWKS fetched once per run; the exchange is in the evidence of ${owner}`);
    }
    return value;
  }

  /** The published keys; a StepError when jwks_uri serves no key set. */
  async function requireKeys(options: JwksOptions = {}): Promise<Jwk[]> {
    const fetched = await jwks(options);
    if (fetched.status !== 200 || !fetched.keys) {
      const why =
        fetched.status !== 200
          ? `HTTP ${fetched.status}`
          : fetched.jsonError
            ? `not JSON: ${fetched.jsonError}`
            : 'no "keys" array';
      throw new StepError(`jwks_uri ${fetched.url} does not serve a key set (${why})`);
    }
    return fetched.keys;
  }

  return { jwks, requireKeys };
}

/** Decodes a compact JWS header without verifying; undefined when the token is not a JWS. */
export function jwsHeader(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    return header && typeof header === 'object' && !Array.isArray(header) ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks a compact JWS signature (signature only: claims have their own checks) against each
 * candidate key in turn; several keys may share a kid (RFC 7517 §4.5). Returns the key that
 * verifies it, or the last reason none did.
 */
export async function verifyWithKeys(token: string, candidates: Jwk[]): Promise<{ key?: Jwk; error?: string }> {
  const alg = jwsHeader(token)?.alg;
  let error = 'no candidate key';
  for (const key of candidates) {
    try {
      await compactVerify(token, createLocalJWKSet({ keys: [key] } as JSONWebKeySet), { algorithms: [String(alg)] });
      return { key };
    } catch (cause) {
      error = (cause as Error).message;
    }
  }
  return { error };
}
