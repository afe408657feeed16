/**
 * RFC 9728 Protected Resource Metadata at the reference resource server: the document at the
 * path-inserted well-known URL, members that describe what the server does, and the
 * `resource_metadata` parameter in its challenges.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWwwAuthenticate } from '../../../harness/oauth/www-authenticate.ts';
import { type RunningResourceServer, startResourceServer } from '../../../harness/reference/resource-server/server.ts';
import { callProtected, startTestStack, type TestStack, testRsConfig } from '../../support/resource-server.ts';

let stack: TestStack;
let custom: RunningResourceServer;
let unpublished: RunningResourceServer;

beforeAll(async () => {
  stack = await startTestStack({ rs: { resourceMetadata: {} } });
  custom = await startResourceServer(
    testRsConfig(stack.issuer, {
      allowQueryToken: true,
      dpop: { required: true },
      routes: [{ path: '/protected/admin/*', scope: ['admin'] }],
      resourceMetadata: {
        resource: 'https://api.example.com/orders',
        authorizationServers: ['https://login.example.com'],
        resourceName: 'Orders',
        inChallenge: false,
      },
    }),
  );
  unpublished = await startResourceServer(testRsConfig(stack.issuer));
});

afterAll(async () => {
  await Promise.all([custom?.close(), unpublished?.close()]);
  await stack?.close();
});

describe('protected resource metadata', () => {
  it('serves the document at the path-inserted well-known URL, describing the server', async () => {
    const response = await fetch(`${stack.rs.url}/.well-known/oauth-protected-resource/protected`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      resource: `${stack.rs.url}/protected`,
      authorization_servers: [stack.issuer.url],
      bearer_methods_supported: ['header'],
      scopes_supported: ['read'],
      dpop_signing_alg_values_supported: ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'],
      dpop_bound_access_tokens_required: false,
    });
    expect((await fetch(`${stack.rs.url}/.well-known/oauth-protected-resource`)).status).toBe(404);
  });

  it('names the document in every challenge (RFC 9728 §5.1)', async () => {
    const metadataUrl = `${stack.rs.url}/.well-known/oauth-protected-resource/protected`;
    const none = await callProtected(stack.rs.url, undefined);
    expect(none.status).toBe(401);
    expect(parseWwwAuthenticate(none.wwwAuthenticate)[0]).toEqual({
      scheme: 'Bearer',
      params: { realm: 'tokenproof', resource_metadata: metadataUrl },
    });
    const bad = await callProtected(stack.rs.url, stack.forge({ claims: { aud: 'api://other' } }));
    expect(parseWwwAuthenticate(bad.wwwAuthenticate)[0]!.params).toMatchObject({
      error: 'invalid_token',
      resource_metadata: metadataUrl,
    });
    const scope = await callProtected(stack.rs.url, stack.forge({ claims: { scope: 'write' } }));
    expect(scope.status).toBe(403);
    expect(parseWwwAuthenticate(scope.wwwAuthenticate)[0]!.params).toMatchObject({
      error: 'insufficient_scope',
      resource_metadata: metadataUrl,
    });
  });

  it('follows the configured identifier and the server settings; no challenge parameter when told', async () => {
    const response = await fetch(`${custom.url}/.well-known/oauth-protected-resource/orders`);
    expect(await response.json()).toEqual({
      resource: 'https://api.example.com/orders',
      authorization_servers: ['https://login.example.com'],
      bearer_methods_supported: ['header', 'query'],
      scopes_supported: ['read', 'admin'],
      dpop_signing_alg_values_supported: ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'],
      dpop_bound_access_tokens_required: true,
      resource_name: 'Orders',
    });
    const none = await callProtected(custom.url, undefined);
    expect(none.wwwAuthenticate).not.toContain('resource_metadata');
  });

  it('publishes nothing when not configured', async () => {
    expect((await fetch(`${unpublished.url}/.well-known/oauth-protected-resource/protected`)).status).toBe(404);
    expect((await callProtected(unpublished.url, undefined)).wwwAuthenticate).toBe('Bearer realm="tokenproof"');
  });
});
