/**
 * Issuer capabilities: as the profile declares them, else as discovery advertises them. Detection
 * reads the run's shared discovery lookup through the steps of the check that needs it, so the
 * well-known documents are asked once per run and the exchange lands in a check's evidence (a
 * hostile discovery is not fetched again just to decide what to skip).
 */
import type { Capability } from '../profile/schema.ts';
import type { Steps } from '../steps/index.ts';
import type { Target } from './target.ts';

export function detectCapabilities(metadata: Record<string, unknown>): Set<Capability> {
  const found = new Set<Capability>();
  const grants = Array.isArray(metadata.grant_types_supported) ? metadata.grant_types_supported : [];
  const authMethods = Array.isArray(metadata.token_endpoint_auth_methods_supported)
    ? metadata.token_endpoint_auth_methods_supported
    : [];
  if (typeof metadata.introspection_endpoint === 'string') found.add('introspection');
  if (typeof metadata.revocation_endpoint === 'string') found.add('revocation');
  if (grants.includes('refresh_token')) found.add('refresh_rotation');
  if (grants.includes('urn:ietf:params:oauth:grant-type:token-exchange')) found.add('token_exchange');
  if (Array.isArray(metadata.dpop_signing_alg_values_supported)) found.add('dpop');
  if (authMethods.includes('private_key_jwt')) found.add('private_key_jwt');
  return found;
}

/**
 * The issuer's capabilities, or undefined when they cannot be known (no issuer, or no usable
 * discovery document): then nothing is skipped for a capability, and the checks report the broken
 * discovery themselves.
 */
export async function issuerCapabilities(target: Target, steps: Steps): Promise<Set<Capability> | undefined> {
  const declared = target.profile.issuer?.capabilities;
  if (declared) return new Set(declared);
  if (!target.profile.issuer) return undefined;
  try {
    return detectCapabilities((await steps.discovery()).metadata);
  } catch {
    return undefined;
  }
}
