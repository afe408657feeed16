/**
 * The decision for one protected-resource request: the token (from cache, verified locally, or
 * introspected), its times and revocation, its DPoP binding, then the route's scope. Each step
 * throws a ResourceError carrying its RFC 6750 answer.
 *
 * The cache-hit path is the hot path: a map lookup, the key-still-published check, two time
 * comparisons, a revocation lookup and the scope check; no parsing and no allocation beyond
 * what the HTTP layer already did.
 */
import { dpopHeader } from '../../oauth/dpop.ts';
import { checkTimes, type VerifiedToken } from './claims.ts';
import type { ResourceServerContext } from './context.ts';
import type { Credentials } from './credentials.ts';
import { checkDpopProof } from './dpop.ts';
import { validateJwtAccessToken } from './jwt-access-token.ts';
import { invalidToken, ResourceError } from './resource-error.ts';

export interface ProtectedRequest {
  method: string;
  /** The request target (path and query). */
  url: string;
  /** The node request: its DPoP headers are read only when a proof is needed. */
  raw: { headersDistinct: NodeJS.Dict<string[]> };
}

/**
 * The decision: synchronous (a value, or a throw) in JWT mode when the key is known and no DPoP
 * proof is involved; a promise when it has to wait (introspection, a JWKS refetch, a DPoP proof).
 * The steps and their order are the same either way: the token, its binding, then the scope.
 */
export function authorize(
  ctx: ResourceServerContext,
  request: ProtectedRequest,
  credentials: Credentials,
): VerifiedToken | Promise<VerifiedToken> {
  if (ctx.config.mode !== 'jwt') {
    return introspectedToken(ctx, credentials.token).then((verified) => bindingAndScope(ctx, request, credentials, verified));
  }
  const verified = jwtAccessToken(ctx, credentials.token);
  if (verified instanceof Promise) return verified.then((token) => bindingAndScope(ctx, request, credentials, token));
  return bindingAndScope(ctx, request, credentials, verified);
}

function bindingAndScope(
  ctx: ResourceServerContext,
  request: ProtectedRequest,
  credentials: Credentials,
  verified: VerifiedToken,
): VerifiedToken | Promise<VerifiedToken> {
  const query = request.url.indexOf('?');
  const path = query < 0 ? request.url : request.url.slice(0, query);
  if (verified.jkt !== undefined || credentials.scheme === 'DPoP' || ctx.config.dpop.required) {
    return checkBinding(ctx, request, path, credentials, verified).then(() => checkScope(ctx, request.method, path, verified));
  }
  return checkScope(ctx, request.method, path, verified);
}

function checkScope(ctx: ResourceServerContext, method: string, path: string, verified: VerifiedToken): VerifiedToken {
  const required = ctx.scopeRules.requiredFor(method, path);
  for (const scope of required) {
    if (!verified.scopes.has(scope)) {
      throw new ResourceError('insufficient_scope', 'scope', 'the token lacks the scope this resource requires', {
        scope: required.join(' '),
      });
    }
  }
  return verified;
}

function jwtAccessToken(ctx: ResourceServerContext, token: string): VerifiedToken | Promise<VerifiedToken> {
  const { tokenCache, jwks, metrics } = ctx;
  const leeway = ctx.config.leeway;
  let cached = tokenCache?.get(token);
  // A cached token whose key left the JWKS is verified again (and then fails on the unknown key).
  if (cached && !(cached.key && jwks!.stillPublished(cached.key))) {
    tokenCache!.delete(token);
    cached = undefined;
  }
  if (cached) {
    metrics.cacheLookups.inc({ cache: 'token', result: 'hit' });
    const now = ctx.clock.nowMs();
    if (now >= cached.expiresAt + leeway) tokenCache!.delete(token);
    checkTimes(cached, now, leeway);
    checkNotRevoked(ctx, cached);
    return cached;
  }
  if (tokenCache) metrics.cacheLookups.inc({ cache: 'token', result: 'miss' });
  const verified = validateJwtAccessToken(token, jwks!, ctx.jwtRules);
  if (verified instanceof Promise) return verified.then((fresh) => admitted(ctx, token, fresh));
  return admitted(ctx, token, verified);
}

/** A freshly verified token: its times and revocation, then into the cache (when there is one). */
function admitted(ctx: ResourceServerContext, token: string, verified: VerifiedToken): VerifiedToken {
  checkTimes(verified, ctx.clock.nowMs(), ctx.config.leeway);
  checkNotRevoked(ctx, verified);
  ctx.tokenCache?.set(token, verified);
  return verified;
}

async function introspectedToken(ctx: ResourceServerContext, token: string): Promise<VerifiedToken> {
  if (token.length > ctx.config.maxTokenLength) throw invalidToken('too_long', 'the token is too long');
  const verified = await ctx.introspection!.check(token);
  checkTimes(verified, ctx.clock.nowMs(), ctx.config.leeway);
  checkNotRevoked(ctx, verified);
  return verified;
}

function checkNotRevoked(ctx: ResourceServerContext, verified: VerifiedToken): void {
  if (verified.jti !== undefined && ctx.revocations.isRevokedJti(verified.jti)) {
    throw invalidToken('revoked', 'the token has been revoked');
  }
}

/** RFC 9449 §7.1-7.2: a bound token needs the DPoP scheme and a valid proof; the DPoP scheme needs a bound token. */
async function checkBinding(
  ctx: ResourceServerContext,
  request: ProtectedRequest,
  path: string,
  credentials: Credentials,
  verified: VerifiedToken,
): Promise<void> {
  if (verified.jkt === undefined) {
    if (credentials.scheme === 'DPoP') throw invalidToken('not_dpop_bound', 'the token is not DPoP-bound');
    throw invalidToken('dpop_required', 'this resource requires a DPoP-bound token');
  }
  if (credentials.scheme !== 'DPoP') {
    throw invalidToken('dpop_downgrade', 'a DPoP-bound token must be sent with the DPoP scheme and a proof');
  }
  await checkDpopProof(
    {
      proof: dpopHeader(request.raw.headersDistinct),
      method: request.method,
      url: `${ctx.publicUrl}${path}`,
      accessToken: credentials.token,
      jkt: verified.jkt,
    },
    {
      nowSeconds: ctx.clock.nowSeconds(),
      maxSkewSeconds: ctx.config.dpop.maxSkew / 1000,
      replayCache: ctx.dpopReplay,
      nonces: ctx.dpopNonces,
    },
  );
}
