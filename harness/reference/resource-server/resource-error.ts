/**
 * Refusals of a protected-resource request and their RFC 6750 §3 / RFC 9449 §7 answers:
 * the status, the `WWW-Authenticate` challenge and a small JSON body. Descriptions are fixed
 * strings chosen here, never text taken from the request, so an answer cannot echo the token
 * or inject into the header.
 */

/** Metric label and the shape of the answer. */
export type Outcome =
  | 'no_credentials'
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'use_dpop_nonce'
  | 'unavailable';

const statusOf: Record<Outcome, number> = {
  no_credentials: 401,
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  use_dpop_nonce: 401,
  unavailable: 503,
};

export class ResourceError extends Error {
  readonly outcome: Outcome;
  /** A stable short code for why (`expired`, `audience`, `signature`…): a metric label and for tests. */
  readonly reason: string;
  readonly status: number;
  /** insufficient_scope: the scope the route needs (RFC 6750 §3). */
  readonly scope: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    outcome: Outcome,
    reason: string,
    description: string,
    extra: { scope?: string; headers?: Record<string, string> } = {},
  ) {
    super(description);
    this.name = 'ResourceError';
    this.outcome = outcome;
    this.reason = reason;
    this.status = statusOf[outcome];
    this.scope = extra.scope;
    this.headers = extra.headers ?? {};
  }

  /** The RFC 6750 error code; none when the request carried no credentials (§3.1). */
  get error(): string | undefined {
    if (this.outcome === 'no_credentials') return undefined;
    if (this.outcome === 'unavailable') return 'temporarily_unavailable';
    return this.outcome;
  }
}

export const invalidToken = (reason: string, description: string) => new ResourceError('invalid_token', reason, description);
export const invalidRequest = (reason: string, description: string) => new ResourceError('invalid_request', reason, description);
export const noCredentials = (reason: string, description: string) => new ResourceError('no_credentials', reason, description);
export const unavailable = (reason: string, description: string) =>
  new ResourceError('unavailable', reason, description, { headers: { 'retry-after': '5' } });

/**
 * The `WWW-Authenticate` value for a refusal, in the scheme the request used (RFC 9449 §7.1:
 * DPoP for DPoP requests); none for 503, where the issuer and not the client is at fault.
 */
export function challenge(
  error: ResourceError,
  scheme: 'Bearer' | 'DPoP',
  realm: string,
  dpopAlgorithms: string,
  resourceMetadataUrl?: string,
): string | undefined {
  if (error.outcome === 'unavailable') return undefined;
  const params = [`realm="${realm}"`];
  const code = error.error;
  if (code) params.push(`error="${code}"`, `error_description="${error.message}"`);
  if (error.scope !== undefined) params.push(`scope="${error.scope}"`);
  if (scheme === 'DPoP') params.push(`algs="${dpopAlgorithms}"`);
  // RFC 9728 §5.1; the URL is this server's own, never text from the request.
  if (resourceMetadataUrl) params.push(`resource_metadata="${resourceMetadataUrl}"`);
  return `${scheme} ${params.join(', ')}`;
}

export function errorBody(error: ResourceError): Record<string, string> {
  const code = error.error;
  return code ? { error: code, error_description: error.message } : { error_description: error.message };
}
