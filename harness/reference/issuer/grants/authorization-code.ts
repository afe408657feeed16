/** RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6): a one-time code, bound to client, redirect URI and verifier. */
import { createHash } from 'node:crypto';
import { invalidGrant, invalidRequest } from '../../../oauth/oauth-error.ts';
import { requireParam } from '../form.ts';
import { hashSecretValue } from '../store.ts';
import {
  batchSignAccessToken,
  createFamily,
  issueIdToken,
  issueRefreshToken,
  prepareAccessToken,
  revokeFamily,
} from '../tokens.ts';
import { accessTokenResponse, type GrantHandler } from './grant.ts';

const verifierFormat = /^[A-Za-z0-9._~-]{43,128}$/;

export const authorizationCodeGrant: GrantHandler = ({ ctx, client, form, dpopJkt }) => {
  const code = requireParam(form, 'code');
  const redirectUri = requireParam(form, 'redirect_uri');
  const verifier = form.params.code_verifier;
  const record = ctx.store.codes.get(hashSecretValue(code));
  if (!record || record.clientId !== client.id) throw invalidGrant('the authorization code is invalid');
  if (record.redeemed) {
    // RFC 6749 §4.1.2: a code used twice suggests it leaked; everything issued from it dies.
    if (record.familyId) revokeFamily(ctx, record.familyId);
    throw invalidGrant('the authorization code was already used');
  }
  if (record.expiresAt <= ctx.clock.nowSeconds()) throw invalidGrant('the authorization code has expired');
  if (record.redirectUri !== redirectUri) throw invalidGrant('redirect_uri differs from the authorization request');
  if (verifier === undefined) throw invalidGrant('code_verifier is required (PKCE)');
  if (!verifierFormat.test(verifier)) throw invalidRequest('code_verifier must be 43-128 unreserved characters');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  if (challenge !== record.codeChallenge) throw invalidGrant('code_verifier does not match the code_challenge');

  record.redeemed = true;
  // RFC 9449 §5: refresh tokens of public clients are bound to the DPoP key; confidential
  // clients authenticate on every refresh instead.
  const bindRefresh = client.auth === 'none' && dpopJkt !== undefined;
  const family = createFamily(ctx, {
    clientId: client.id,
    sub: record.sub,
    scope: record.scope,
    audience: record.resource.length ? record.resource : [ctx.config.tokens.defaultAudience],
    authTime: record.authTime,
    ...(bindRefresh && { jkt: dpopJkt }),
  });
  record.familyId = family.id;
  const unsigned = prepareAccessToken(ctx, {
    clientId: client.id,
    sub: record.sub,
    scope: record.scope,
    audience: family.audience,
    familyId: family.id,
    authTime: record.authTime,
    ...(dpopJkt && { jkt: dpopJkt }),
  });
  const refresh = client.grantTypes.includes('refresh_token') ? issueRefreshToken(ctx, family, record.scope) : undefined;
  const user = [...ctx.users.values()].find((candidate) => (candidate.sub ?? candidate.username) === record.sub);
  // The store is settled; what is left is signing (the id_token's at_hash needs the access token).
  return batchSignAccessToken(unsigned).then((issued) => {
    const idToken = record.scope.includes('openid')
      ? issueIdToken(ctx, {
          clientId: client.id,
          sub: record.sub,
          authTime: record.authTime,
          accessToken: issued.token,
          claims: user?.claims ?? {},
          ...(record.nonce && { nonce: record.nonce }),
        })
      : undefined;
    ctx.metrics.tokensIssued.inc({ grant: 'authorization_code' });
    return accessTokenResponse(issued, {
      ...(refresh && { refresh_token: refresh.token }),
      ...(idToken && { id_token: idToken }),
    });
  });
};
