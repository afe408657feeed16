/**
 * The protected routes (`/protected`, `/protected/*`): one decision, two ways in. `protectedAnswerer`
 * turns a request into its answer (status, headers, JSON body): the token's credentials, the
 * decision (authorize.ts), the RFC 6750 refusal with its `WWW-Authenticate` challenge, the metrics.
 *
 * A plain `GET` of a protected path goes straight from node:http to that answer function (no
 * framework request/reply objects, hooks, serializer or reply pipeline: measured in
 * harness/bench/README.md). Everything else (other methods, where a body has to be read within
 * the body limit; a path fastify would percent-decode; requests while the server closes) goes
 * through fastify, which calls the same function, so both ways answer alike.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { dpopAlgorithms } from '../../oauth/dpop.ts';
import { authorize } from './authorize.ts';
import type { VerifiedToken } from './claims.ts';
import { paths, type ResourceServerContext } from './context.ts';
import { readCredentials } from './credentials.ts';
import { challenge, errorBody, ResourceError } from './resource-error.ts';

export interface ProtectedAnswer {
  status: number;
  headers: Record<string, string>;
  /** JSON text. */
  body: string;
}

export interface ProtectedInput {
  method: string;
  /** The request target (path and query). */
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  /** The raw body (a Buffer) when one was read; undefined without one. */
  body: unknown;
  /** The node request: its DPoP headers are read only when a proof is needed. */
  raw: { headersDistinct: NodeJS.Dict<string[]> };
}

export const jsonType = 'application/json; charset=utf-8';

/** Errors that are not refusals: a client error keeps its status, anything else is a 500 without detail. */
export function unexpectedErrorAnswer(error: { statusCode?: number; message: string }): { status: number; body: object } {
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, body: { error: 'invalid_request', error_description: error.message } };
  return { status: 500, body: { error: 'server_error', error_description: 'internal error' } };
}

/**
 * The decision for one request to a protected route: an answer, synchronous whenever authorize()
 * is (a JWT with a known key, no DPoP proof), else a promise. Throws (or rejects) only on an
 * unexpected failure, never for a refusal.
 */
export function protectedAnswerer(
  ctx: ResourceServerContext,
): (request: ProtectedInput) => ProtectedAnswer | Promise<ProtectedAnswer> {
  const { config, metrics } = ctx;
  const credentialRules = { allowQueryToken: config.allowQueryToken, dpopEnabled: config.dpop.enabled };
  const defaultScheme = config.dpop.required ? 'DPoP' : 'Bearer';
  const dpopAlgs = dpopAlgorithms.join(' ');
  const accepted = metrics.validations.labels({ outcome: 'ok', reason: 'ok' });
  const observe = (started: number) => metrics.validationDuration.observe((performance.now() - started) / 1000);

  const accept = (verified: VerifiedToken, scheme: 'Bearer' | 'DPoP', started: number): ProtectedAnswer => {
    accepted.inc();
    const headers: Record<string, string> = { 'cache-control': 'no-store', 'content-type': jsonType };
    if (scheme === 'DPoP' && ctx.dpopNonces) headers['dpop-nonce'] = ctx.dpopNonces.current();
    const body = JSON.stringify({
      sub: verified.sub ?? null,
      client_id: verified.clientId ?? null,
      scope: verified.scope,
      token_type: scheme,
    });
    observe(started);
    return { status: 200, headers, body };
  };
  const refuse = (error: unknown, scheme: 'Bearer' | 'DPoP', started: number): ProtectedAnswer => {
    if (!(error instanceof ResourceError)) {
      observe(started);
      throw error;
    }
    metrics.validations.inc({ outcome: error.outcome, reason: error.reason });
    const metadataUrl = config.resourceMetadata?.inChallenge ? ctx.resourceMetadata?.url : undefined;
    const authenticate = challenge(error, scheme, config.realm, dpopAlgs, metadataUrl);
    const headers: Record<string, string> = { ...error.headers, 'cache-control': 'no-store', 'content-type': jsonType };
    if (authenticate) headers['www-authenticate'] = authenticate;
    observe(started);
    return { status: error.status, headers, body: JSON.stringify(errorBody(error)) };
  };

  return (request) => {
    const started = performance.now();
    let scheme: 'Bearer' | 'DPoP' = defaultScheme;
    try {
      const credentials = readCredentials(request, credentialRules);
      scheme = credentials.scheme;
      const verified = authorize(ctx, request, credentials);
      if (verified instanceof Promise) {
        const used = scheme;
        return verified.then(
          (token) => accept(token, used, started),
          (error: unknown) => refuse(error, used, started),
        );
      }
      return accept(verified, scheme, started);
    } catch (error) {
      return refuse(error, scheme, started);
    }
  };
}

const prefix = paths.protected;

/**
 * True for a request node:http may answer without fastify: `GET` (fastify reads no body for it
 * either) of `/protected` or `/protected/…`, with no `%` or `#` anywhere in the target (fastify's
 * router would decode or split those; such requests take the fastify way).
 */
export function isDirectProtectedRequest(method: string | undefined, url: string | undefined): boolean {
  if (method !== 'GET' || url === undefined || !url.startsWith(prefix)) return false;
  if (url.length > prefix.length) {
    const next = url.charCodeAt(prefix.length);
    if (next !== 0x2f /* / */ && next !== 0x3f /* ? */) return false;
  }
  return !url.includes('%') && !url.includes('#');
}

/** Answers a direct request on node:http; an unexpected failure is logged and answered like fastify's error handler does. */
export function directProtectedHandler(
  answer: (request: ProtectedInput) => ProtectedAnswer | Promise<ProtectedAnswer>,
  logError: (error: unknown) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  // The answer could not even be written: log it and drop the connection rather than crash the process.
  const broken = (res: ServerResponse, error: unknown) => {
    logError(error);
    res.destroy();
  };
  const failed = (res: ServerResponse, error: Error & { statusCode?: number }) => {
    const result = unexpectedErrorAnswer(error);
    if (result.status === 500) logError(error);
    send(res, result.status, { 'content-type': jsonType }, JSON.stringify(result.body));
  };
  return (req, res) => {
    let result: ProtectedAnswer | Promise<ProtectedAnswer>;
    try {
      result = answer({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: undefined,
        raw: req,
      });
    } catch (error) {
      try {
        failed(res, error as Error);
      } catch (unwritable) {
        broken(res, unwritable);
      }
      return;
    }
    if (result instanceof Promise) {
      result
        .then(
          (answered) => send(res, answered.status, answered.headers, answered.body),
          (error: Error) => failed(res, error),
        )
        .catch((error: unknown) => broken(res, error));
    } else {
      try {
        send(res, result.status, result.headers, result.body);
      } catch (error) {
        broken(res, error);
      }
    }
  };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.destroyed) return;
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(body);
}
