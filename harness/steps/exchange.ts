/** Token-exchange steps (RFC 8693 §2.1): an exchange request whose parameters a check can swap one at a time. */
import type { FormParams, HttpAnswer, TokenAnswer } from '../oauth/client.ts';
import { CheckSkipped } from '../runner/verdict.ts';
import type { discoverySteps } from './discovery.ts';
import type { StepIO } from './io.ts';
import { type ClientChoice, resolveClient } from './revocation.ts';
import type { tokenSteps } from './token.ts';

export const tokenExchangeGrant = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const tokenTypes = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const;

export interface ExchangeRequest {
  subjectToken?: string;
  /** Default: access_token type; `null` leaves it out (X02). */
  subjectTokenType?: string | null;
  actorToken?: string;
  /** Default with an actor token: access_token type; `null` leaves it out (X02). */
  actorTokenType?: string | null;
  audience?: string;
  resource?: string;
  scope?: string;
  requestedTokenType?: string;
  client?: ClientChoice;
  /** More parameters, or replacements. */
  extra?: FormParams;
}

export function exchangeSteps(io: StepIO, discovery: ReturnType<typeof discoverySteps>, token: ReturnType<typeof tokenSteps>) {
  /** Skips the check unless the issuer does token exchange (profile capabilities, else discovery's grant types). */
  async function requireExchange(): Promise<void> {
    const declared = io.target.profile.issuer?.capabilities;
    if (declared) {
      if (!declared.includes('token_exchange')) throw new CheckSkipped('the profile does not declare token_exchange');
      return;
    }
    const grants = (await discovery.discovery()).metadata.grant_types_supported;
    if (!Array.isArray(grants) || !grants.includes(tokenExchangeGrant))
      throw new CheckSkipped(`grant_types_supported does not list ${tokenExchangeGrant}`);
  }

  /** One exchange request; the answer comes back as the server gave it. */
  async function exchange(request: ExchangeRequest): Promise<HttpAnswer<TokenAnswer>> {
    io.redactor.register(request.subjectToken);
    io.redactor.register(request.actorToken);
    const subjectType = request.subjectTokenType === undefined ? tokenTypes.accessToken : request.subjectTokenType;
    const actorType =
      request.actorTokenType === undefined ? (request.actorToken ? tokenTypes.accessToken : undefined) : request.actorTokenType;
    const params: FormParams = {
      grant_type: tokenExchangeGrant,
      subject_token: request.subjectToken,
      subject_token_type: subjectType ?? undefined,
      actor_token: request.actorToken,
      actor_token_type: actorType ?? undefined,
      audience: request.audience,
      resource: request.resource,
      scope: request.scope,
      requested_token_type: request.requestedTokenType,
      ...request.extra,
    };
    return token.token(params, resolveClient(io, discovery, request.client));
  }

  return { requireExchange, exchange };
}
