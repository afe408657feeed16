/** The token endpoint (RFC 6749 §3.2): client authentication, DPoP, then one grant handler. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { dpopHeader, verifyDpopProof } from '../../../oauth/dpop.ts';
import { invalidRequest, OAuthError, unauthorizedClient } from '../../../oauth/oauth-error.ts';
import { authenticateClient } from '../client-auth.ts';
import type { GrantType } from '../config.ts';
import { endpoint, type IssuerContext, paths } from '../context.ts';
import { readForm, requireParam } from '../form.ts';
import { authorizationCodeGrant } from '../grants/authorization-code.ts';
import { clientCredentialsGrant } from '../grants/client-credentials.ts';
import type { GrantHandler } from '../grants/grant.ts';
import { refreshTokenGrant } from '../grants/refresh-token.ts';
import { tokenExchangeGrant } from '../grants/token-exchange.ts';

const grants: Record<GrantType, GrantHandler> = {
  client_credentials: clientCredentialsGrant,
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  'urn:ietf:params:oauth:grant-type:token-exchange': tokenExchangeGrant,
};
const metricLabel = (grant: string) => (grant in grants ? grant.replace('urn:ietf:params:oauth:grant-type:', '') : 'unsupported');

export function requireFormBody(request: FastifyRequest): void {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
    throw invalidRequest('the request body must be application/x-www-form-urlencoded');
  }
}

export function registerToken(app: FastifyInstance, ctx: IssuerContext): void {
  const { max, window } = ctx.config.rateLimit;
  const rateLimit = max > 0 ? { max, timeWindow: window, hook: 'preHandler' as const, keyGenerator: rateLimitKey } : false;

  app.post(paths.token, { config: { rateLimit } }, async (request, reply) => {
    const started = process.hrtime.bigint();
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    let grantLabel = 'unknown';
    try {
      requireFormBody(request);
      const form = readForm(request.body);
      const grantType = requireParam(form, 'grant_type');
      grantLabel = metricLabel(grantType);
      const { client } = await authenticateClient(ctx, request.headers.authorization, form.params, { allowPublic: true });
      const handler = grants[grantType as GrantType];
      if (!handler) throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported`);
      if (!client.grantTypes.includes(grantType as GrantType))
        throw unauthorizedClient(`client ${client.id} may not use ${grantType}`);
      const dpopJkt = await dpopThumbprint(ctx, request);
      const response = handler({ ctx, client, form, ...(dpopJkt && { dpopJkt }) });
      observe(ctx, grantLabel, 'ok', started);
      return response;
    } catch (error) {
      observe(ctx, grantLabel, error instanceof OAuthError ? error.error : 'server_error', started);
      throw error;
    }
  });
}

async function dpopThumbprint(ctx: IssuerContext, request: FastifyRequest): Promise<string | undefined> {
  const proof = dpopHeader(request.raw.headersDistinct);
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

function observe(ctx: IssuerContext, grant: string, outcome: string, started: bigint): void {
  ctx.metrics.tokenRequestDuration.observe({ grant, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
}

/** Limits per client where the request names one, else per address. */
function rateLimitKey(request: FastifyRequest): string {
  const basic = /^basic +([A-Za-z0-9+/=]+)/i.exec(request.headers.authorization ?? '');
  const fromBasic = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0] : undefined;
  const body = request.body as Record<string, unknown> | undefined;
  const fromBody = typeof body?.client_id === 'string' ? body.client_id : undefined;
  return `${request.ip}|${fromBasic ?? fromBody ?? ''}`;
}
