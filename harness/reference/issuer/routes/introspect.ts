/** RFC 7662 introspection (authenticated callers only) and RFC 7009 revocation. */
import type { FastifyInstance } from 'fastify';
import { unauthorizedClient } from '../../../oauth/oauth-error.ts';
import { authenticateClient } from '../client-auth.ts';
import { type IssuerContext, paths } from '../context.ts';
import { readForm, requireFormBody, requireParam } from '../form.ts';
import { hashSecretValue, type RefreshTokenRecord } from '../store.ts';
import { resolveAccessToken, revokeAccessToken, revokeFamily } from '../tokens.ts';

function activeRefreshToken(ctx: IssuerContext, token: string): RefreshTokenRecord | undefined {
  const record = ctx.store.refreshTokens.get(hashSecretValue(token));
  if (record?.state !== 'active' || record.expiresAt <= ctx.clock.nowSeconds()) return undefined;
  return ctx.store.families.get(record.familyId)?.revoked === false ? record : undefined;
}

export function registerIntrospection(app: FastifyInstance, ctx: IssuerContext): void {
  app.post(paths.introspect, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    requireFormBody(request.headers['content-type']);
    const form = readForm(request.body);
    await authenticateClient(ctx, request.headers.authorization, form.params, { allowPublic: false });
    const token = requireParam(form, 'token');
    const access = resolveAccessToken(ctx, token);
    if (access) {
      ctx.metrics.introspections.inc({ active: 'true' });
      return {
        active: true,
        iss: ctx.issuer,
        sub: access.sub,
        client_id: access.clientId,
        aud: access.audience.length === 1 ? access.audience[0] : access.audience,
        exp: access.expiresAt,
        iat: access.issuedAt,
        jti: access.jti,
        token_type: access.jkt ? 'DPoP' : 'Bearer',
        ...(access.scope.length > 0 && { scope: access.scope.join(' ') }),
        ...(access.jkt && { cnf: { jkt: access.jkt } }),
        ...(access.act && { act: access.act }),
      };
    }
    const refresh = activeRefreshToken(ctx, token);
    if (refresh) {
      ctx.metrics.introspections.inc({ active: 'true' });
      const family = ctx.store.families.get(refresh.familyId)!;
      return {
        active: true,
        iss: ctx.issuer,
        sub: family.sub,
        client_id: refresh.clientId,
        exp: refresh.expiresAt,
        token_type: 'refresh_token',
        ...(refresh.scope.length > 0 && { scope: refresh.scope.join(' ') }),
      };
    }
    ctx.metrics.introspections.inc({ active: 'false' });
    return { active: false };
  });

  app.post(paths.revoke, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    requireFormBody(request.headers['content-type']);
    const form = readForm(request.body);
    const { client } = await authenticateClient(ctx, request.headers.authorization, form.params, { allowPublic: true });
    const token = requireParam(form, 'token');
    // The hint only orders the lookup (RFC 7009 §2.1); a wrong hint still revokes.
    const refresh = ctx.store.refreshTokens.get(hashSecretValue(token));
    if (refresh && refresh.state !== 'revoked') {
      if (refresh.clientId !== client.id) throw unauthorizedClient('this token was issued to another client');
      ctx.metrics.revocations.inc({ kind: 'refresh_token' });
      revokeFamily(ctx, refresh.familyId);
      return reply.code(200).send();
    }
    const access = resolveAccessToken(ctx, token);
    if (access) {
      if (access.clientId !== client.id) throw unauthorizedClient('this token was issued to another client');
      revokeAccessToken(ctx, access);
    }
    // Unknown, expired or already revoked tokens are answered 200 as well (RFC 7009 §2.2).
    return reply.code(200).send();
  });
}
