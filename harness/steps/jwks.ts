/** JWKS steps: fetch jwks_uri and insist on {"keys":[...]}; decode a token's JOSE header. */
import { StepError } from '../runner/verdict.ts';
import type { discoverySteps } from './discovery.ts';

export type Jwk = Record<string, unknown>;

export interface FetchedJwks {
  url: string;
  status: number;
  /** The keys when the body is {"keys":[objects...]}; undefined otherwise. */
  keys: Jwk[] | undefined;
  body: unknown;
  jsonError?: string;
}

export function jwksSteps(discovery: ReturnType<typeof discoverySteps>) {
  async function jwks(): Promise<FetchedJwks> {
    const url = await discovery.endpoint('jwks_uri');
    const answer = await discovery.get(url).catch((error: Error) => {
      throw new StepError(`jwks_uri ${url} gave no answer: ${error.message}`);
    });
    const body = answer.body as { keys?: unknown };
    const keys =
      Array.isArray(body?.keys) && body.keys.every((key) => key && typeof key === 'object' && !Array.isArray(key))
        ? (body.keys as Jwk[])
        : undefined;
    return { url, status: answer.status, keys, body, ...(answer.jsonError && { jsonError: answer.jsonError }) };
  }

  /** The published keys; a StepError when jwks_uri serves no key set. */
  async function requireKeys(): Promise<Jwk[]> {
    const fetched = await jwks();
    if (fetched.status !== 200 || !fetched.keys)
      throw new StepError(`jwks_uri ${fetched.url} does not serve a key set (HTTP ${fetched.status})`);
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
