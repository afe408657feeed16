/** Token-endpoint steps: the profile's clients, token requests that may fail, and tokens a check needs to go on. */
import { type ClientAuth, type FormParams, type HttpAnswer, type TokenAnswer, tokenRequest } from '../oauth/client.ts';
import type { ClientProfile } from '../profile/schema.ts';
import { clientAuth } from '../runner/target.ts';
import { StepError } from '../runner/verdict.ts';
import type { discoverySteps } from './discovery.ts';
import type { StepIO } from './io.ts';

export type ClientName = 'primary' | 'secondary' | 'public' | 'privateKeyJwt';

export function tokenSteps(io: StepIO, discovery: ReturnType<typeof discoverySteps>) {
  function client(which: ClientName = 'primary'): ClientAuth {
    const profile: ClientProfile | undefined = io.target.profile.issuer?.clients?.[which];
    if (!profile) throw new StepError(`the profile has no ${which} client`);
    return clientAuth(io.target, profile, discovery.issuerUrl());
  }

  function registerTokens(answer: HttpAnswer<TokenAnswer>): void {
    io.redactor.register(answer.body.access_token);
    io.redactor.register(answer.body.refresh_token);
    io.redactor.register(answer.body.id_token);
  }

  /** A token request that may fail: the check judges the answer. */
  async function token(
    params: FormParams,
    auth: ClientAuth = client(),
    headers?: Record<string, string>,
  ): Promise<HttpAnswer<TokenAnswer>> {
    const answer = await tokenRequest(await discovery.endpoint('token_endpoint'), params, auth, headers, io.fetch);
    registerTokens(answer);
    return answer;
  }

  /** A client_credentials access token the check needs in order to go on. */
  async function clientCredentialsToken(
    auth: ClientAuth = client(),
    params: FormParams = {},
  ): Promise<TokenAnswer & { access_token: string }> {
    const answer = await token({ grant_type: 'client_credentials', ...params }, auth);
    if (answer.status !== 200 || typeof answer.body.access_token !== 'string') {
      throw new StepError(
        `client_credentials for ${auth.clientId} failed: HTTP ${answer.status} ${answer.body.error ?? ''}`.trim(),
      );
    }
    return answer.body as TokenAnswer & { access_token: string };
  }

  return { client, token, clientCredentialsToken };
}
