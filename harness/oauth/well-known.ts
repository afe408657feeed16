/**
 * The well-known metadata paths, in one place: OpenID Connect Discovery 1.0 §4 appends its path
 * to the issuer; RFC 8414 §3 and RFC 9728 §3 insert theirs between the host and any path.
 */
export const wellKnown = {
  openid: '/.well-known/openid-configuration',
  oauth: '/.well-known/oauth-authorization-server',
  protectedResource: '/.well-known/oauth-protected-resource',
} as const;

export type WellKnownSuffix = (typeof wellKnown)[keyof typeof wellKnown];

/** The metadata URL for an identifier (issuer or resource) under one well-known suffix. */
export function wellKnownUrl(identifier: string, suffix: WellKnownSuffix): string {
  const url = new URL(identifier);
  const path = url.pathname.replace(/\/$/, '');
  if (suffix === wellKnown.openid) return `${url.origin}${path}${suffix}`;
  return `${url.origin}${suffix}${path}`;
}

/** Both authorization-server metadata URLs of an issuer, OpenID first. */
export function issuerMetadataUrls(issuer: string): string[] {
  return [wellKnownUrl(issuer, wellKnown.openid), wellKnownUrl(issuer, wellKnown.oauth)];
}
