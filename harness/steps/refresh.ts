/**
 * Refresh steps (RFC 6749 §6): a refresh request that may fail (the check judges it), one that
 * must succeed, and the issuer clock shift the profile may offer (grace windows and expiry
 * without sleeping).
 */
import type { ClientAuth, FormParams, HttpAnswer, TokenAnswer } from '../oauth/client.ts';
import { StepError } from '../runner/verdict.ts';
import type { StepIO } from './io.ts';
import type { tokenSteps } from './token.ts';

export interface RefreshOptions {
  /** The client that refreshes (default: primary); pass UserTokens.auth for the token's own client. */
  auth?: ClientAuth;
  scope?: string;
  params?: FormParams;
  headers?: Record<string, string>;
}

export function refreshSteps(io: StepIO, token: ReturnType<typeof tokenSteps>) {
  /** A refresh_token grant request; the answer is returned whatever it is. */
  function refresh(refreshToken: string, options: RefreshOptions = {}): Promise<HttpAnswer<TokenAnswer>> {
    return token.token(
      { grant_type: 'refresh_token', refresh_token: refreshToken, scope: options.scope, ...options.params },
      options.auth ?? token.client(),
      options.headers,
    );
  }

  /** A refresh the check needs in order to go on: 200 with an access token, else StepError. */
  async function refreshOk(refreshToken: string, options: RefreshOptions = {}): Promise<TokenAnswer & { access_token: string }> {
    const answer = await refresh(refreshToken, options);
    if (answer.status !== 200 || typeof answer.body.access_token !== 'string')
      throw new StepError(
        `refreshing failed: HTTP ${answer.status} ${answer.body.error ?? ''} ${answer.body.error_description ?? ''}`.trim(),
      );
    return answer.body as TokenAnswer & { access_token: string };
  }

  /** Whether the profile gives a way to shift the issuer clock (issuer.admin.setClockOffset). */
  const canShiftClock = () => io.target.profile.issuer?.admin?.setClockOffset !== undefined;

  /** Sets the issuer clock offset (seconds, absolute) through issuer.admin.setClockOffset. */
  async function setIssuerClockOffset(offsetSeconds: number): Promise<void> {
    const request = io.target.profile.issuer?.admin?.setClockOffset;
    if (!request) throw new StepError('the profile gives no way to shift the issuer clock (issuer.admin.setClockOffset)');
    const answer = await io.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined && { body: request.body.replaceAll('{{offsetSeconds}}', String(offsetSeconds)) }),
    });
    if (!answer.ok) throw new StepError(`the clock request ${request.method} ${request.url} answered HTTP ${answer.status}`);
  }

  return { refresh, refreshOk, canShiftClock, setIssuerClockOffset };
}
