/** Scope and audience decisions shared by the grants (RFC 6749 §3.3, RFC 8707, RFC 8693). */
import { invalidScope, invalidTarget } from '../../oauth/oauth-error.ts';
import type { ClientConfig } from './config.ts';
import type { IssuerContext } from './context.ts';

export function parseScope(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return [...new Set(value.split(' ').filter(Boolean))];
}

/** The requested scope if it is within `allowed`; no request means all of `allowed`. */
export function grantScope(requested: string | undefined, allowed: string[]): string[] {
  const scope = parseScope(requested);
  if (!scope) return allowed;
  const refused = scope.filter((item) => !allowed.includes(item));
  if (refused.length) throw invalidScope(`scope not allowed: ${refused.join(' ')}`);
  return scope;
}

/** The audience of an access token: requested resources the client may use, or the default. */
export function grantAudience(ctx: IssuerContext, client: ClientConfig, requested: string[]): string[] {
  if (requested.length === 0) return [ctx.config.tokens.defaultAudience];
  const allowed = client.resources ?? [...ctx.resources];
  const refused = requested.filter((resource) => !allowed.includes(resource));
  if (refused.length) throw invalidTarget(`resource not allowed for this client: ${refused.join(' ')}`);
  return requested;
}
