/**
 * The token endpoint (RFC 6749 §3.2): client authentication, DPoP, then one grant handler.
 *
 * It is a node:http handler, not a fastify route: `startIssuer` hands `POST /token` to it before
 * fastify sees the request. Issuance is what load tests hammer, and fastify's per-request
 * machinery (request/reply objects, hooks, the content-type parser chain, reply serialization)
 * cost more per token than everything but the signature (harness/bench/README.md). The answers
 * are those the fastify route gave: the same status codes, OAuth error bodies, `cache-control:
 * no-store` and `pragma: no-cache`, the 64 KiB body limit (413), 415 for a media type no parser
 * knows, the rate limit's headers (rate-limit.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'fast-querystring';
import type { FastifyBaseLogger } from 'fastify';
import { dpopHeader, verifyDpopProof } from '../../../oauth/dpop.ts';
import { invalidRequest, OAuthError, unauthorizedClient } from '../../../oauth/oauth-error.ts';
import { authenticateClient } from '../client-auth.ts';
import type { GrantType } from '../config.ts';
import { endpoint, type IssuerContext, paths } from '../context.ts';
import { formBodyType, readForm, requireParam } from '../form.ts';
import { authorizationCodeGrant } from '../grants/authorization-code.ts';
import { clientCredentialsGrant } from '../grants/client-credentials.ts';
import type { GrantHandler } from '../grants/grant.ts';
import { refreshTokenGrant } from '../grants/refresh-token.ts';
import { tokenExchangeGrant } from '../grants/token-exchange.ts';
import { FixedWindowLimiter } from '../rate-limit.ts';

const grants: Record<GrantType, GrantHandler> = {
  client_credentials: clientCredentialsGrant,
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  'urn:ietf:params:oauth:grant-type:token-exchange': tokenExchangeGrant,
};
const metricLabel = (grant: string) => (grant in grants ? grant.replace('urn:ietf:params:oauth:grant-type:', '') : 'unsupported');

/** The issuer's body limit (fastify's `bodyLimit` for the other routes). */
export const bodyLimitBytes = 64 * 1024;

/** Media types fastify parses by default: their bodies reach the handler, which refuses them with 400. */
const knownNonForm = /^(application\/json|text\/plain)\b/i;

/** True for the requests the token endpoint answers: POST /token, with or without a query. */
export function isTokenRequest(request: IncomingMessage): boolean {
  const url = request.url ?? '';
  return (
    request.method === 'POST' &&
    url.startsWith(paths.token) &&
    (url.length === paths.token.length || url[paths.token.length] === '?')
  );
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

export function tokenEndpoint(ctx: IssuerContext, log: FastifyBaseLogger): Handler {
  const { max, window } = ctx.config.rateLimit;
  const limiter = max > 0 ? new FixedWindowLimiter(max, window) : undefined;
  const durations = new Map<string, { observe(seconds: number): void }>();
  const observe = (grant: string, outcome: string, started: bigint) => {
    const key = `${grant}\u0000${outcome}`;
    let child = durations.get(key);
    if (!child) {
      child = ctx.metrics.tokenRequestDuration.labels(grant, outcome);
      durations.set(key, child);
    }
    child.observe(Number(process.hrtime.bigint() - started) / 1e9);
  };

  const answer = async (request: IncomingMessage, text: string, type: string, started: bigint) => {
    const headers: Record<string, string> = { 'cache-control': 'no-store', pragma: 'no-cache' };
    let grantLabel = 'unknown';
    try {
      const body = formBodyType(type) ? parseQuery(text) : parsedOther(type, text);
      if (limiter) {
        const decision = limiter.take(rateLimitKey(request, body));
        Object.assign(headers, decision.headers);
        if (!decision.allowed) {
          ctx.metrics.rateLimited.inc();
          throw new OAuthError('slow_down', `rate limit exceeded, retry in ${decision.resetSeconds} s`, 429);
        }
      }
      if (!formBodyType(type)) throw invalidRequest('the request body must be application/x-www-form-urlencoded');
      const form = readForm(body);
      const grantType = requireParam(form, 'grant_type');
      grantLabel = metricLabel(grantType);
      const { client } = await authenticateClient(ctx, request.headers.authorization, form.params, { allowPublic: true });
      const handler = grants[grantType as GrantType];
      if (!handler) throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported`);
      if (!client.grantTypes.includes(grantType as GrantType))
        throw unauthorizedClient(`client ${client.id} may not use ${grantType}`);
      const dpopJkt = request.headers.dpop === undefined ? undefined : await dpopThumbprint(ctx, request);
      // The store changes happen inside handler(); the await is for the turn's signatures (sign-batch.ts).
      const response = await handler({ ctx, client, form, ...(dpopJkt && { dpopJkt }) });
      observe(grantLabel, 'ok', started);
      return { status: 200, headers, body: response };
    } catch (error) {
      if (!(error instanceof OAuthError)) {
        observe(grantLabel, 'server_error', started);
        log.error(error);
        return { status: 500, headers, body: { error: 'server_error', error_description: 'internal error' } };
      }
      if (error.error !== 'slow_down') observe(grantLabel, error.error, started);
      return { status: error.status, headers: { ...headers, ...error.headers }, body: error.body() };
    }
  };

  return (request, response) => {
    const started = process.hrtime.bigint();
    const type = request.headers['content-type'] ?? '';
    const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
    if (type === '' ? hasBody : !formBodyType(type) && !knownNonForm.test(type)) {
      // Refused before the body is read, as fastify's content-type parser chain did.
      discard(request);
      send(
        response,
        415,
        { 'cache-control': 'no-store', pragma: 'no-cache' },
        { error: 'invalid_request', error_description: `Unsupported Media Type: ${type}` },
      );
      return;
    }
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > bodyLimitBytes) {
      tooLarge(request, response);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > bodyLimitBytes) {
        request.removeAllListeners('data').removeAllListeners('end');
        tooLarge(request, response);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      void answer(request, text, type, started).then(({ status, headers, body }) => send(response, status, headers, body));
    });
    request.on('error', () => response.destroy());
  };
}

/** A JSON or text body: parsed as fastify's default parsers would, so a bad one is the same 400. */
function parsedOther(type: string, text: string): unknown {
  if (!/^application\/json/i.test(type) || text === '') return text === '' ? undefined : text;
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest('the body is not valid JSON');
  }
}

function send(response: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const json = JSON.stringify(body);
  response
    .writeHead(status, {
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(json),
    })
    .end(json);
}

function discard(request: IncomingMessage): void {
  request.on('error', () => undefined).resume();
}

function tooLarge(request: IncomingMessage, response: ServerResponse): void {
  discard(request);
  send(
    response,
    413,
    { 'cache-control': 'no-store', pragma: 'no-cache', connection: 'close' },
    { error: 'invalid_request', error_description: `the request body is larger than ${bodyLimitBytes} bytes` },
  );
}

async function dpopThumbprint(ctx: IssuerContext, request: IncomingMessage): Promise<string | undefined> {
  // headersDistinct is built on first use; a request without the header (most) skips that.
  if (request.headers.dpop === undefined) return undefined;
  const proof = dpopHeader(request.headersDistinct);
  if (proof === undefined) return undefined;
  if (!ctx.config.dpop.enabled) throw new OAuthError('invalid_dpop_proof', 'DPoP is not enabled on this issuer');
  const verified = await verifyDpopProof({
    proof,
    method: 'POST',
    url: endpoint(ctx, paths.token),
    nowSeconds: ctx.clock.nowSeconds(),
    maxSkewSeconds: ctx.config.dpop.maxSkew / 1000,
    replayCache: ctx.dpopReplay,
    errorCode: 'invalid_dpop_proof',
  });
  return verified.jkt;
}

/** Limits per client where the request names one, else per address. */
function rateLimitKey(request: IncomingMessage, body: unknown): string {
  const basic = /^basic +([A-Za-z0-9+/=]+)/i.exec(request.headers.authorization ?? '');
  const fromBasic = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0] : undefined;
  const clientId = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).client_id : undefined;
  return `${request.socket.remoteAddress ?? ''}|${fromBasic ?? (typeof clientId === 'string' ? clientId : '')}`;
}
