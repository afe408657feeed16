/** Issuer capabilities: as the profile declares them, else as discovery advertises them. */
import type { Capability } from '../profile/schema.ts';

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
