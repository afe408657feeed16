/** The JWKS step shared by the jwks checks: fetch jwks_uri and insist on {"keys":[...]}. */
import type { CheckContext } from '../../harness/runner/context.ts';
import { StepError } from '../../harness/runner/steps.ts';

export type Jwk = Record<string, unknown>;

export async function fetchJwks(
  t: CheckContext,
): Promise<{ url: string; status: number; keys: Jwk[] | undefined; body: unknown }> {
  const url = await t.steps.endpoint('jwks_uri');
  const answer = await t.steps.get(url).catch((error: Error) => {
    throw new StepError(`jwks_uri ${url} gave no answer: ${error.message}`);
  });
  const body = answer.body as { keys?: unknown };
  const keys =
    Array.isArray(body?.keys) && body.keys.every((key) => key && typeof key === 'object') ? (body.keys as Jwk[]) : undefined;
  return { url, status: answer.status, keys, body };
}

export async function requireKeys(t: CheckContext): Promise<Jwk[]> {
  const jwks = await fetchJwks(t);
  if (jwks.status !== 200 || !jwks.keys)
    throw new StepError(`jwks_uri ${jwks.url} does not serve a key set (HTTP ${jwks.status})`);
  return jwks.keys;
}

/** Decodes a compact JWS header without verifying; undefined when the token is not a JWS. */
export function jwsHeader(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    return header && typeof header === 'object' ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
