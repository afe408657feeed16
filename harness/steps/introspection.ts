/**
 * Introspection steps (RFC 7662): where the endpoint is (discovery, or a URL the profile gives
 * for issuers that introspect only on an admin endpoint), who asks (the profile's
 * resource-server client, or credentials of its own), and a token issued for that caller's
 * audience: RFC 7662 §2.2 and §4 let a server answer `active:false` to a caller outside the
 * token's audience, so the positive case asks as the party the token is meant for.
 */
import { type HttpAnswer, postForm } from '../oauth/client.ts';
import { clientAuth } from '../runner/target.ts';
import { CheckSkipped, StepError } from '../runner/verdict.ts';
import type { discoverySteps } from './discovery.ts';
import type { StepIO } from './io.ts';
import { type ClientChoice, resolveClient } from './revocation.ts';
import type { tokenSteps } from './token.ts';

export interface IntrospectionBody {
  active?: unknown;
  scope?: unknown;
  scp?: unknown;
  client_id?: unknown;
  exp?: unknown;
  iat?: unknown;
  nbf?: unknown;
  iss?: unknown;
  aud?: unknown;
  sub?: unknown;
  token_type?: unknown;
  cnf?: unknown;
  [member: string]: unknown;
}

/**
 * The scopes an introspection answer or JWT claims set grants: RFC 7662 §2.2 and RFC 9068 §2.2.3
 * give `scope` as a space-delimited string; some issuers send an `scp` array instead, which is
 * read too and reported as non-standard (`form: 'scp'`).
 */
export function scopesIn(members: Record<string, unknown>): { scopes: string[]; form: 'scope' | 'scp' | 'none' } {
  if (typeof members.scope === 'string') return { scopes: members.scope.split(' ').filter(Boolean), form: 'scope' };
  if (Array.isArray(members.scp) && members.scp.every((item) => typeof item === 'string'))
    return { scopes: members.scp as string[], form: 'scp' };
  return { scopes: [], form: 'none' };
}

export interface IntrospectOptions {
  /** Who asks; default the introspecting party (issuer.introspection.client, clients.resourceServer, else primary). */
  client?: ClientChoice;
  hint?: string;
  headers?: Record<string, string>;
}

export interface IntrospectionAnswer extends HttpAnswer<IntrospectionBody> {
  endpoint: string;
}

export interface AudienceToken {
  accessToken: string;
  refreshToken?: string;
  /** expires_in of the token answer, when the issuer gave one. */
  expiresIn?: number;
  /** How the audience was asked for, for the report: RFC 8707 resource, the client's tokenParams, or not at all. */
  requestedWith: 'resource' | 'tokenParams' | 'none';
  audience?: string;
}

export function introspectionSteps(
  io: StepIO,
  discovery: ReturnType<typeof discoverySteps>,
  token: ReturnType<typeof tokenSteps>,
) {
  const settings = () => io.target.profile.issuer?.introspection;

  /** The introspection endpoint: issuer.introspection.url, else discovery's; neither → skip. */
  async function introspectionEndpoint(): Promise<string> {
    const declared = io.target.profile.issuer?.capabilities;
    if (declared && !declared.includes('introspection'))
      throw new CheckSkipped('the profile does not declare the introspection capability');
    const configured = settings()?.url;
    if (configured) return configured;
    const advertised = await discovery.optionalEndpoint('introspection_endpoint');
    if (!advertised)
      throw new CheckSkipped('the issuer advertises no introspection_endpoint and the profile gives no issuer.introspection.url');
    return advertised;
  }

  /** Whether the profile says the endpoint relies on network protection instead of caller authentication. */
  const networkProtected = (): boolean => settings()?.networkProtected ?? false;

  /**
   * The audience of tokens the introspecting party may see: issuer.introspection.audience, else
   * that of a resource server that trusts this issuer (resourceServer with trusts: issuer, else
   * propagation.audience).
   */
  const introspectionAudience = (): string | undefined => {
    const { resourceServer, propagation } = io.target.profile;
    return (
      settings()?.audience ?? (resourceServer?.trusts === 'issuer' ? resourceServer.audience : undefined) ?? propagation?.audience
    );
  };

  function introspector(choice: ClientChoice | undefined) {
    if (choice !== undefined) return resolveClient(io, discovery, choice);
    const own = settings()?.client;
    if (own) return clientAuth(io.target, own, discovery.issuerUrl());
    return resolveClient(io, discovery, 'resourceServer');
  }

  /** The client_id that introspects (I04 sends it with a wrong secret). */
  function introspectionClientId(): string {
    const auth = introspector(undefined);
    if (!auth) throw new StepError('no introspecting client');
    return auth.clientId;
  }

  async function introspect(tokenValue: string, options: IntrospectOptions = {}): Promise<IntrospectionAnswer> {
    io.redactor.register(tokenValue);
    const endpoint = await introspectionEndpoint();
    const answer = await postForm<IntrospectionBody>(
      endpoint,
      { token: tokenValue, ...(options.hint !== undefined && { token_type_hint: options.hint }) },
      introspector(options.client),
      options.headers,
      io.fetch,
    );
    return { ...answer, endpoint };
  }

  /** Token-request parameters of a profile client (its tokenParams, e.g. a vendor audience=…). */
  function tokenParamsOf(which: 'primary' | 'secondary' = 'primary'): Record<string, string> {
    return io.target.profile.issuer?.clients?.[which]?.tokenParams ?? {};
  }

  /**
   * A client_credentials access token of `which` issued for the introspecting party's audience:
   * requested with RFC 8707 `resource`, unless the client's tokenParams already carry the
   * audience in a vendor parameter.
   */
  async function audienceToken(which: 'primary' | 'secondary' = 'primary'): Promise<AudienceToken> {
    const params = tokenParamsOf(which);
    const audience = introspectionAudience();
    const vendor = 'resource' in params || 'audience' in params;
    const requestedWith = vendor ? 'tokenParams' : audience ? 'resource' : 'none';
    const issued = await token.clientCredentialsToken(token.client(which), {
      ...params,
      ...(requestedWith === 'resource' && audience && { resource: audience }),
    });
    io.note(
      requestedWith === 'resource'
        ? `access token requested for audience ${audience} with RFC 8707 resource`
        : requestedWith === 'tokenParams'
          ? `access token requested with the client's tokenParams (${Object.keys(params).join(', ')})`
          : 'access token requested without an audience (the profile names none)',
    );
    return {
      accessToken: issued.access_token,
      ...(issued.refresh_token && { refreshToken: issued.refresh_token }),
      ...(typeof issued.expires_in === 'number' && { expiresIn: issued.expires_in }),
      requestedWith,
      ...(audience && { audience }),
    };
  }

  /** Introspection the check needs in order to go on: a non-200 or non-JSON answer is a StepError. */
  async function requireIntrospection(tokenValue: string, options: IntrospectOptions = {}): Promise<IntrospectionAnswer> {
    const answer = await introspect(tokenValue, options);
    if (answer.status !== 200 || answer.jsonError)
      throw new StepError(
        `introspection at ${answer.endpoint} answered HTTP ${answer.status}${answer.jsonError ? ', not JSON' : ''}`,
      );
    return answer;
  }

  /** Whether the target can introspect at all (profile URL or discovery), without ending the check. */
  async function canIntrospect(): Promise<boolean> {
    try {
      await introspectionEndpoint();
      return true;
    } catch (error) {
      if (error instanceof CheckSkipped) return false;
      throw error;
    }
  }

  /**
   * Whether introspection (as the introspecting party) calls the token active: an observation
   * other checks (revocation, exchange) build on; undefined when the target cannot introspect.
   */
  async function activeAtIntrospection(tokenValue: string): Promise<boolean | undefined> {
    if (!(await canIntrospect())) return undefined;
    const answer = await requireIntrospection(tokenValue);
    return answer.body.active === true;
  }

  return {
    introspectionEndpoint,
    canIntrospect,
    activeAtIntrospection,
    networkProtected,
    introspectionAudience,
    introspect,
    introspectionClientId,
    requireIntrospection,
    audienceToken,
    tokenParamsOf,
  };
}
