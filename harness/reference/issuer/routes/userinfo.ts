/** OIDC Core §5.3 UserInfo: the claims of the user an access token with `openid` was issued for. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { dpopHeader, verifyDpopProof } from '../../../oauth/dpop.ts';
import { OAuthError } from '../../../oauth/oauth-error.ts';
import { endpoint, type IssuerContext, paths } from '../context.ts';
import { resolveAccessToken } from '../tokens.ts';

function bearerError(error: string, description: string, status: number, scheme: string): OAuthError {
  return new OAuthError(error, description, status, {
    'www-authenticate': `${scheme} error="${error}", error_description="${description}"`,
  });
}

export function registerUserinfo(app: FastifyInstance, ctx: IssuerContext): void {
  const handler = async (request: FastifyRequest) => {
    const match = /^(bearer|dpop) +([A-Za-z0-9\-._~+/]+=*)$/i.exec(request.headers.authorization ?? '');
    if (!match) {
      throw new OAuthError('invalid_request', 'an access token is required', 401, { 'www-authenticate': 'Bearer' });
    }
    const scheme = match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const token = match[2]!;
    const record = resolveAccessToken(ctx, token);
    if (!record) throw bearerError('invalid_token', 'the access token is invalid, expired or revoked', 401, scheme);
    if (record.jkt) {
      if (scheme !== 'DPoP') throw bearerError('invalid_token', 'this token is DPoP-bound', 401, 'DPoP');
      await verifyDpopProof({
        proof: dpopHeader(request.raw.headersDistinct),
        method: request.method,
        url: endpoint(ctx, paths.userinfo),
        nowSeconds: ctx.clock.nowSeconds(),
        maxSkewSeconds: ctx.config.dpop.maxSkew / 1000,
        accessToken: token,
        expectedJkt: record.jkt,
        replayCache: ctx.dpopReplay,
        errorCode: 'invalid_token',
      }).catch((error: unknown) => {
        // RFC 6750 §3 / RFC 9449 §7.1: a 401 carries the challenge, for a bad proof too.
        if (error instanceof OAuthError) throw bearerError(error.error, error.message, error.status, 'DPoP');
        throw error;
      });
    } else if (scheme === 'DPoP') {
      // RFC 9449 §7.1: the DPoP scheme promises a key binding this token does not have.
      throw bearerError('invalid_token', 'this token is not DPoP-bound; send it as a Bearer token', 401, 'DPoP');
    }
    if (!record.scope.includes('openid'))
      throw bearerError('insufficient_scope', 'the token lacks the openid scope', 403, scheme);
    const user = [...ctx.users.values()].find((candidate) => (candidate.sub ?? candidate.username) === record.sub);
    return { ...(user?.claims ?? {}), sub: record.sub };
  };
  app.get(paths.userinfo, handler);
  app.post(paths.userinfo, handler);
}
