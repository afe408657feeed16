/**
 * RFC 6749 §6 with rotation. rfc9700 mode: every refresh token works once; presenting a rotated
 * one again revokes the whole family (RFC 9700 §4.14.2). fapi2 mode: a client that lost the
 * answer may retry with the previous token inside the grace window; the successor it never
 * received is retired, so there is still only one live refresh token per family.
 */
import { invalidGrant, OAuthError } from '../../../oauth/oauth-error.ts';
import { requireParam } from '../form.ts';
import { grantScope } from '../scope.ts';
import { hashSecretValue, type RefreshTokenRecord } from '../store.ts';
import { batchSignAccessToken, issueIdToken, issueRefreshToken, prepareAccessToken, revokeFamily } from '../tokens.ts';
import { accessTokenResponse, type GrantHandler } from './grant.ts';

export const refreshTokenGrant: GrantHandler = ({ ctx, client, form, dpopJkt }) => {
  const token = requireParam(form, 'refresh_token');
  const record = ctx.store.refreshTokens.get(hashSecretValue(token));
  const now = ctx.clock.nowSeconds();
  if (!record || record.clientId !== client.id) throw invalidGrant('the refresh token is invalid');
  const family = ctx.store.families.get(record.familyId);
  if (!family || family.revoked || record.state === 'revoked') throw invalidGrant('the refresh token was revoked');
  if (record.expiresAt <= now) throw invalidGrant('the refresh token has expired');
  if (family.jkt !== undefined) {
    if (dpopJkt === undefined)
      throw new OAuthError('invalid_dpop_proof', 'this refresh token is DPoP-bound: a proof is required');
    if (dpopJkt !== family.jkt) throw invalidGrant('the refresh token is bound to another DPoP key');
  }
  if (record.state === 'rotated' && !isGraceRetry(ctx, record, now)) {
    revokeFamily(ctx, family.id);
    ctx.metrics.refreshReuseDetected.inc();
    throw invalidGrant('the refresh token was already used; its family is revoked');
  }
  const scope = grantScope(form.params.scope, record.scope);

  if (record.state === 'rotated' && record.successorHash) {
    // Grace retry: the successor was never used, so the client never received it.
    const successor = ctx.store.refreshTokens.get(record.successorHash);
    if (successor) successor.state = 'revoked';
  } else {
    record.state = 'rotated';
    record.rotatedAt = now;
  }
  const next = issueRefreshToken(ctx, family, record.scope);
  record.successorHash = next.hash;
  const jkt = family.jkt ?? dpopJkt;
  const unsigned = prepareAccessToken(ctx, {
    clientId: client.id,
    sub: family.sub,
    scope,
    audience: family.audience,
    familyId: family.id,
    authTime: family.authTime,
    ...(jkt && { jkt }),
  });
  // The store is settled; what is left is signing (the id_token's at_hash needs the access token).
  return batchSignAccessToken(unsigned).then((issued) => {
    const idToken = scope.includes('openid')
      ? issueIdToken(ctx, {
          clientId: client.id,
          sub: family.sub,
          authTime: family.authTime,
          accessToken: issued.token,
          claims: {},
        })
      : undefined;
    ctx.metrics.tokensIssued.inc({ grant: 'refresh_token' });
    return accessTokenResponse(issued, { refresh_token: next.token, ...(idToken && { id_token: idToken }) });
  });
};

function isGraceRetry(ctx: GrantContext, record: RefreshTokenRecord, now: number): boolean {
  if (ctx.config.refresh.mode !== 'fapi2' || record.rotatedAt === undefined) return false;
  if ((now - record.rotatedAt) * 1000 > ctx.config.refresh.graceWindow) return false;
  const successor = record.successorHash ? ctx.store.refreshTokens.get(record.successorHash) : undefined;
  return successor?.state === 'active';
}

type GrantContext = Parameters<GrantHandler>[0]['ctx'];
