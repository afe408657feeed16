/**
 * RFC 8693 token exchange. The issued token never carries more scope than the subject token,
 * never outlives it, and records the actor (`act`) when an actor token makes it a delegation.
 */
import { invalidRequest, unauthorizedClient } from '../../../oauth/oauth-error.ts';
import { requireParam } from '../form.ts';
import { grantAudience, grantScope } from '../scope.ts';
import { batchSignAccessToken, prepareAccessToken, resolveAccessToken } from '../tokens.ts';
import { accessTokenResponse, type GrantHandler } from './grant.ts';

export const tokenTypes = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const;
const acceptedSubjectTypes: string[] = [tokenTypes.accessToken, tokenTypes.jwt];

export const tokenExchangeGrant: GrantHandler = ({ ctx, client, form, dpopJkt }) => {
  if (client.auth === 'none') throw unauthorizedClient('a public client cannot exchange tokens');
  const subjectToken = requireParam(form, 'subject_token');
  const subjectType = requireParam(form, 'subject_token_type');
  const actorToken = form.params.actor_token;
  const actorType = form.params.actor_token_type;
  if (actorToken !== undefined && actorType === undefined) throw invalidRequest('actor_token_type is required with actor_token');
  if (actorToken === undefined && actorType !== undefined) throw invalidRequest('actor_token_type was given without actor_token');
  const requestedType = form.params.requested_token_type;
  if (requestedType !== undefined && requestedType !== tokenTypes.accessToken) {
    throw invalidRequest(`requested_token_type ${requestedType} is not supported; ask for ${tokenTypes.accessToken}`);
  }
  if (!acceptedSubjectTypes.includes(subjectType)) throw invalidRequest(`subject_token_type ${subjectType} is not supported`);
  const subject = resolveAccessToken(ctx, subjectToken);
  if (!subject) throw invalidRequest('subject_token is invalid, expired or revoked');
  let act: Record<string, unknown> | undefined;
  if (actorToken !== undefined) {
    if (!acceptedSubjectTypes.includes(actorType!)) throw invalidRequest(`actor_token_type ${actorType} is not supported`);
    const actor = resolveAccessToken(ctx, actorToken);
    if (!actor) throw invalidRequest('actor_token is invalid, expired or revoked');
    // A subject that already acted for someone keeps that chain (RFC 8693 §4.1).
    act = { sub: actor.sub, ...(subject.act && { act: subject.act }) };
  }
  const scope = grantScope(form.params.scope, subject.scope);
  const audience = grantAudience(ctx, client, [...form.audience, ...form.resource]);
  const unsigned = prepareAccessToken(ctx, {
    clientId: client.id,
    sub: subject.sub,
    scope,
    audience,
    notAfter: subject.expiresAt,
    ...(act && { act }),
    ...(dpopJkt && { jkt: dpopJkt }),
  });
  return batchSignAccessToken(unsigned).then((issued) => {
    ctx.metrics.tokensIssued.inc({ grant: 'token_exchange' });
    return accessTokenResponse(issued, { issued_token_type: tokenTypes.accessToken });
  });
};
