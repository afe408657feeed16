/** OIDC Discovery 1.0 §4 and RFC 8414 metadata, plus the JWKS (RFC 7517 §5). */
import type { FastifyInstance } from 'fastify';
import { dpopAlgorithms } from '../../../oauth/dpop.ts';
import { assertionAlgorithms } from '../client-auth.ts';
import { grantTypes } from '../config.ts';
import { endpoint, type IssuerContext, paths } from '../context.ts';

export function metadata(ctx: IssuerContext): Record<string, unknown> {
  const authMethods = [...new Set([...ctx.clients.values()].map((client) => client.auth).filter((auth) => auth !== 'none'))];
  const scopes = [...new Set([...ctx.clients.values()].flatMap((client) => client.scopes))];
  return {
    issuer: ctx.issuer,
    authorization_endpoint: endpoint(ctx, paths.authorize),
    token_endpoint: endpoint(ctx, paths.token),
    jwks_uri: endpoint(ctx, paths.jwks),
    userinfo_endpoint: endpoint(ctx, paths.userinfo),
    introspection_endpoint: endpoint(ctx, paths.introspect),
    revocation_endpoint: endpoint(ctx, paths.revoke),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [...grantTypes],
    subject_types_supported: ['public'],
    scopes_supported: scopes,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce'],
    id_token_signing_alg_values_supported: [ctx.config.signing.alg],
    token_endpoint_auth_methods_supported: authMethods.length ? authMethods : ['client_secret_basic'],
    token_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    ...(ctx.config.dpop.enabled && { dpop_signing_alg_values_supported: [...dpopAlgorithms] }),
    // Not a registered member: where resource servers subscribe to revocation events.
    revocation_events_endpoint: endpoint(ctx, paths.revocationEvents),
  };
}

export function registerDiscovery(app: FastifyInstance, ctx: IssuerContext): void {
  const serveMetadata = async () => metadata(ctx);
  app.get(paths.discovery, serveMetadata);
  app.get(paths.oauthMetadata, serveMetadata);
  app.get(paths.jwks, async (_request, reply) => {
    reply.header('content-type', 'application/jwk-set+json').header('cache-control', 'public, max-age=60');
    return ctx.keys.jwksBody();
  });
}
