/**
 * RFC 9728 Protected Resource Metadata for this server: where the document lives (the
 * well-known suffix inserted before the resource identifier's path, §3.1) and what it says.
 * Every member describes what the server actually does (bearer methods, DPoP, scopes), so a
 * client that reads it is never misled; `resource` is the identifier the URL was built from
 * (§3.3).
 */
import { dpopAlgorithms } from '../../oauth/dpop.ts';
import { wellKnown, wellKnownUrl } from '../../oauth/well-known.ts';
import type { ResourceServerConfig } from './config.ts';
import { paths } from './context.ts';

export interface ResourceMetadata {
  /** The document's URL, for `resource_metadata` in challenges. */
  url: string;
  document: Record<string, unknown>;
}

/** The route path of the document, known before the server listens (the origin may not be). */
export function resourceMetadataPath(config: ResourceServerConfig): string | undefined {
  if (!config.resourceMetadata) return undefined;
  const identifier = config.resourceMetadata.resource ?? `http://placeholder${paths.protected}`;
  return new URL(wellKnownUrl(identifier, wellKnown.protectedResource)).pathname;
}

export function buildResourceMetadata(config: ResourceServerConfig, publicUrl: string): ResourceMetadata | undefined {
  const settings = config.resourceMetadata;
  if (!settings) return undefined;
  const resource = settings.resource ?? `${publicUrl}${paths.protected}`;
  const scopes = [...new Set([...config.requiredScope, ...config.routes.flatMap((route) => route.scope)])];
  const document: Record<string, unknown> = {
    resource,
    authorization_servers: settings.authorizationServers ?? [config.issuer],
    bearer_methods_supported: config.allowQueryToken ? ['header', 'query'] : ['header'],
    ...(scopes.length > 0 && { scopes_supported: scopes }),
    ...(config.dpop.enabled && {
      dpop_signing_alg_values_supported: [...dpopAlgorithms],
      dpop_bound_access_tokens_required: config.dpop.required,
    }),
    ...(settings.resourceName && { resource_name: settings.resourceName }),
    ...(settings.resourceDocumentation && { resource_documentation: settings.resourceDocumentation }),
  };
  return { url: wellKnownUrl(resource, wellKnown.protectedResource), document };
}
