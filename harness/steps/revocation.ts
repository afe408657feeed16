/**
 * Revocation steps (RFC 7009): where the endpoint is, and a revoke request with a chosen client
 * (or none) and an optional token_type_hint. The answer comes back as the server gave it: the
 * check judges it. V08 (propagation to the RS) reuses `revoke` too.
 */
import { type ClientAuth, type HttpAnswer, postForm } from '../oauth/client.ts';
import type { ClientProfile } from '../profile/schema.ts';
import { clientAuth } from '../runner/target.ts';
import { CheckSkipped, StepError } from '../runner/verdict.ts';
import type { discoverySteps } from './discovery.ts';
import type { StepIO } from './io.ts';

/** A profile client by name, explicit credentials, or `null`: send no client authentication at all. */
export type ClientChoice = 'primary' | 'secondary' | 'resourceServer' | ClientAuth | null;

export interface RevokeOptions {
  /** token_type_hint (RFC 7009 §2.1): `access_token`, `refresh_token`, or any value to probe. */
  hint?: string;
  /** Who revokes; default the primary client (the usual owner of the token). */
  client?: ClientChoice;
  /** Replaces the client authentication entirely (a wrong secret, a bare client_id). */
  headers?: Record<string, string>;
}

export interface RevocationAnswer extends HttpAnswer {
  endpoint: string;
}

/** Resolves a client choice to credentials; a profile client that is absent is a StepError. */
export function resolveClient(
  io: StepIO,
  discovery: ReturnType<typeof discoverySteps>,
  choice: ClientChoice | undefined,
  fallback: 'primary' | 'secondary' | 'resourceServer' = 'primary',
): ClientAuth | undefined {
  const which = choice === undefined ? fallback : choice;
  if (which === null) return undefined;
  if (typeof which === 'object') return which;
  const clients = io.target.profile.issuer?.clients;
  const profile: ClientProfile | undefined =
    which === 'resourceServer' ? (clients?.resourceServer ?? clients?.primary) : clients?.[which];
  if (!profile) throw new StepError(`the profile has no ${which} client`);
  return clientAuth(io.target, profile, discovery.issuerUrl());
}

export function revocationSteps(io: StepIO, discovery: ReturnType<typeof discoverySteps>) {
  /**
   * The revocation endpoint: the profile's issuer.revocation.url, else discovery's
   * revocation_endpoint. Neither → the check does not apply (skip, with the reason).
   */
  async function revocationEndpoint(): Promise<string> {
    const declared = io.target.profile.issuer?.capabilities;
    if (declared && !declared.includes('revocation'))
      throw new CheckSkipped('the profile does not declare the revocation capability');
    const configured = io.target.profile.issuer?.revocation?.url;
    if (configured) return configured;
    const advertised = await discovery.optionalEndpoint('revocation_endpoint');
    if (!advertised)
      throw new CheckSkipped('the issuer advertises no revocation_endpoint and the profile gives no issuer.revocation.url');
    return advertised;
  }

  /** POSTs token (and the hint) to the revocation endpoint; returns the answer whatever it is. */
  async function revoke(token: string, options: RevokeOptions = {}): Promise<RevocationAnswer> {
    io.redactor.register(token);
    const endpoint = await revocationEndpoint();
    const auth = resolveClient(io, discovery, options.client);
    const answer = await postForm(
      endpoint,
      { token, ...(options.hint !== undefined && { token_type_hint: options.hint }) },
      auth,
      options.headers,
      io.fetch,
    );
    return { ...answer, endpoint };
  }

  /** A revocation the check needs to go on (its own subject is something else): anything but 200 is a StepError. */
  async function requireRevoked(token: string, options: RevokeOptions = {}): Promise<RevocationAnswer> {
    const answer = await revoke(token, options);
    if (answer.status !== 200)
      throw new StepError(
        `revoking a token at ${answer.endpoint} answered HTTP ${answer.status} ${String(answer.body.error ?? '')}`.trim(),
      );
    return answer;
  }

  /** Whether the target has a revocation endpoint at all, without ending the check. */
  async function canRevoke(): Promise<boolean> {
    try {
      await revocationEndpoint();
      return true;
    } catch (error) {
      if (error instanceof CheckSkipped) return false;
      throw error;
    }
  }

  return { revocationEndpoint, canRevoke, revoke, requireRevoked };
}
