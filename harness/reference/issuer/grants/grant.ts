/** What every grant handler receives and answers. Handlers read and change the store
 * synchronously, before they return, so two concurrent requests can never both redeem one code
 * or rotate one refresh token. The promise a handler may return waits only for signatures
 * (tokens.ts batchSignAccessToken), which touch no state. */
import type { ClientConfig } from '../config.ts';
import type { IssuerContext } from '../context.ts';
import type { Form } from '../form.ts';
import type { IssuedAccessToken } from '../tokens.ts';

export interface GrantRequest {
  ctx: IssuerContext;
  client: ClientConfig;
  form: Form;
  /** Thumbprint of the verified DPoP proof key, when the request carried one. */
  dpopJkt?: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer' | 'DPoP' | 'N_A';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
  issued_token_type?: string;
}

export type GrantHandler = (request: GrantRequest) => TokenResponse | Promise<TokenResponse>;

export function accessTokenResponse(issued: IssuedAccessToken, extra: Partial<TokenResponse> = {}): TokenResponse {
  return {
    access_token: issued.token,
    token_type: issued.record.jkt ? 'DPoP' : 'Bearer',
    expires_in: issued.expiresIn,
    ...(issued.record.scope.length > 0 && { scope: issued.record.scope.join(' ') }),
    ...extra,
  };
}
