/** RFC 6749 §4.4: a client obtains a token for itself. */
import { unauthorizedClient } from '../../../oauth/oauth-error.ts';
import { grantAudience, grantScope } from '../scope.ts';
import { batchSignAccessToken, prepareAccessToken } from '../tokens.ts';
import { accessTokenResponse, type GrantHandler } from './grant.ts';

export const clientCredentialsGrant: GrantHandler = ({ ctx, client, form, dpopJkt }) => {
  if (client.auth === 'none') throw unauthorizedClient('a public client cannot use client_credentials');
  const scope = grantScope(form.params.scope, client.scopes);
  const audience = grantAudience(ctx, client, form.resource);
  const unsigned = prepareAccessToken(ctx, {
    clientId: client.id,
    sub: client.id,
    scope,
    audience,
    ...(dpopJkt && { jkt: dpopJkt }),
  });
  return batchSignAccessToken(unsigned).then((issued) => {
    ctx.metrics.tokensIssued.inc({ grant: 'client_credentials' });
    return accessTokenResponse(issued);
  });
};
