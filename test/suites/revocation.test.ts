/**
 * The revocation suite against the real reference issuer (passes) and against it with one
 * deliberate flaw at a time (the guarding check fails, or warns for SHOULD). One issuer for the
 * file; each test swaps the flaw in.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../harness/oauth/client.ts';
import { startResourceServer } from '../../harness/reference/resource-server/server.ts';
import { type Flaw, type FlawedIssuer, startFlawedIssuer } from '../support/flawed-issuer.ts';
import { outcomeOf, runSelected } from '../support/run-checks.ts';

const flaws: Flaw[] = [];
let issuer: FlawedIssuer;

beforeAll(async () => {
  issuer = await startFlawedIssuer(flaws);
});
afterAll(() => issuer.close());
beforeEach(() => {
  flaws.length = 0;
});

const flaw = (...next: Flaw[]) => flaws.push(...next);
/** Revocation answered 200 and never reaches the issuer: "revoke that does nothing". */
const revokeDoesNothing: Flaw = { path: '/revoke', status: 200 };

describe('revocation suite', () => {
  it('passes against the reference issuer', async () => {
    const results = await runSelected(issuer.target(), { suites: ['revocation'] });
    const outcomes = Object.fromEntries([...results].map(([id, result]) => [id, result.outcome]));
    for (const [id, result] of results) expect(result.outcome, `${id}: ${result.reason}`).toBe('pass');
    expect(Object.keys(outcomes).length).toBeGreaterThanOrEqual(5);
    for (const result of results.values()) expect(result.evidence.exchanges.length).toBeGreaterThan(0);
  });

  it('V01 fails when a revoked refresh token still refreshes (revoke does nothing)', async () => {
    flaw(revokeDoesNothing);
    const result = await outcomeOf(issuer.target(), 'revocation.refresh-token');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/still refreshes/);
    expect(result.evidence.notes.join(' ')).toMatch(/user login in Chromium/);
  });

  it('V01 warns when a revoked refresh token is refused with another error than invalid_grant (RFC 6749 §5.2 SHOULD)', async () => {
    flaw({ path: '/token', json: (body) => (body.error === 'invalid_grant' ? { ...body, error: 'invalid_request' } : body) });
    const result = await outcomeOf(issuer.target(), 'revocation.refresh-token');
    expect(result.outcome, result.reason).toBe('warn');
    expect(result.reason).toMatch(/refused with HTTP 400 invalid_request, not 400 invalid_grant/);
  });

  it("V01 warns on ORY Hydra's answer to a revoked refresh token (401 token_inactive): refused, another code", async () => {
    flaw({
      path: '/token',
      answer: (answer) =>
        (answer.json as { error?: unknown } | undefined)?.error === 'invalid_grant'
          ? { ...answer, status: 401, json: { error: 'token_inactive', error_description: 'Token is inactive' } }
          : undefined,
    });
    const result = await outcomeOf(issuer.target(), 'revocation.refresh-token');
    expect(result.outcome, result.reason).toBe('warn');
    expect(result.reason).toMatch(/refused with HTTP 401 token_inactive, not 400 invalid_grant/);
  });

  it('V01 fails when a revoked refresh token makes the token endpoint fail (5xx is no refusal)', async () => {
    flaw({
      path: '/token',
      answer: (answer) =>
        (answer.json as { error?: unknown } | undefined)?.error === 'invalid_grant' ? { ...answer, status: 500 } : undefined,
    });
    const result = await outcomeOf(issuer.target(), 'revocation.refresh-token');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/answered HTTP 500 invalid_grant: RFC 7009 §2.1/);
  });

  it("V02 warns when the grant's access token outlives its revoked refresh token", async () => {
    // The flaw as introspection sees it: once a refresh token is revoked, the user's access
    // tokens still introspect active.
    let refreshRevoked = false;
    flaw(
      {
        path: '/revoke',
        request: (request) => {
          if (/token_type_hint=refresh_token/.test(request.body)) refreshRevoked = true;
          return undefined;
        },
      },
      {
        path: '/introspect',
        respond: (request) => {
          const token = new URLSearchParams(request.body).get('token') ?? '';
          const user = token.split('.').length === 3 && decodeJwt(token).sub === 'user-alice';
          return refreshRevoked && user ? { status: 200, body: { active: true, sub: 'user-alice' } } : undefined;
        },
      },
    );
    const result = await outcomeOf(issuer.target(), 'revocation.refresh-kills-access');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/access token of the same grant is still active at introspection/);
  });

  it('V03 warns when a revoked access token stays active (revoke does nothing)', async () => {
    flaw(revokeDoesNothing);
    const result = await outcomeOf(issuer.target(), 'revocation.access-token');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/still active at introspection/);
  });

  it('V03 warns when the issuer cannot revoke access tokens (unsupported_token_type)', async () => {
    flaw({ path: '/revoke', status: 400, body: { error: 'unsupported_token_type' } });
    const result = await outcomeOf(issuer.target(), 'revocation.access-token');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/does not revoke access tokens \(unsupported_token_type\)/);
  });

  it('V03 fails when revoking an access token is answered with a plain error', async () => {
    flaw({ path: '/revoke', status: 400 });
    const result = await outcomeOf(issuer.target(), 'revocation.access-token');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/answered HTTP 400/);
  });

  it('V04 fails when an unknown token gets an error (500 on bad input)', async () => {
    flaw({ path: '/revoke', status: 500 });
    const result = await outcomeOf(issuer.target(), 'revocation.unknown-token');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/HTTP 500/);
  });

  it('V05 fails when a wrong hint leaves the token active', async () => {
    // The flaw: the hint refresh_token makes the issuer look only at refresh tokens.
    flaw({
      path: '/revoke',
      request: (request) =>
        /token_type_hint=refresh_token/.test(request.body) ? { ...request, body: 'token=not-this-one' } : undefined,
    });
    const result = await outcomeOf(issuer.target(), 'revocation.wrong-hint');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/token_type_hint=refresh_token is still active/);
  });

  it('V05 fails when a refresh token hinted access_token is not revoked', async () => {
    flaw({
      path: '/revoke',
      request: (request) =>
        /token_type_hint=access_token/.test(request.body) && !request.body.includes('token=eyJ')
          ? { ...request, body: 'token=not-this-one' }
          : undefined,
    });
    const result = await outcomeOf(issuer.target(), 'revocation.wrong-hint');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/refresh token revoked with token_type_hint=access_token still refreshes/);
  });

  it('V05 and V07 skip without a login when revocation does nothing for access tokens (nothing to judge them with)', async () => {
    flaw(revokeDoesNothing);
    const { login: _login, ...withoutLogin } = issuer.target().profile.issuer!;
    const results = await runSelected(issuer.target({ issuer: withoutLogin }), {
      checks: ['revocation.wrong-hint', 'revocation.cross-client'],
    });
    for (const id of ['revocation.wrong-hint', 'revocation.cross-client']) {
      expect(results.get(id)!.outcome, id).toBe('skip');
      expect(results.get(id)!.reason).toMatch(/nothing to judge/);
    }
  });

  it('V06 fails when revocation works without client authentication', async () => {
    flaw({
      path: '/revoke',
      request: (request, upstream) =>
        request.headers.authorization
          ? undefined
          : {
              ...request,
              headers: { ...request.headers, authorization: basicAuthorization('primary', upstream.secrets.primary) },
            },
    });
    const result = await outcomeOf(issuer.target(), 'revocation.client-auth');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/without client authentication answered HTTP 200/);
  });

  it('V06 fails when an unauthenticated request is refused on the wire but revokes the token anyway', async () => {
    flaw({
      path: '/revoke',
      request: (request, upstream) =>
        request.headers.authorization
          ? undefined
          : {
              ...request,
              headers: { ...request.headers, authorization: basicAuthorization('primary', upstream.secrets.primary) },
            },
      answer: (answer, request) =>
        request.headers.authorization ? undefined : { ...answer, status: 401, json: { error: 'invalid_client' } },
    });
    const result = await outcomeOf(issuer.target(), 'revocation.client-auth');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/failed client authentication revoked the refresh token anyway/);
  });

  it('V06 fails when a wrong secret is answered 400 instead of 401', async () => {
    flaw({
      path: '/revoke',
      respond: (request, upstream) =>
        request.headers.authorization?.toString().startsWith('Basic') &&
        request.headers.authorization !== basicAuthorization('primary', upstream.secrets.primary)
          ? { status: 400, body: { error: 'invalid_client' } }
          : undefined,
    });
    const result = await outcomeOf(issuer.target(), 'revocation.client-auth');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/wrong client secret in Basic authentication answered HTTP 400/);
  });

  it('V06 fails (as T03) when the 401 to a wrong Basic secret has no WWW-Authenticate', async () => {
    flaw({
      path: '/revoke',
      answer: (answer) => {
        if (answer.status !== 401) return undefined;
        const { 'www-authenticate': _challenge, ...headers } = answer.headers;
        return { ...answer, headers };
      },
    });
    const result = await outcomeOf(issuer.target(), 'revocation.client-auth');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/the 401 has no WWW-Authenticate header; RFC 6749 §5.2 requires one/);
  });

  it('V06 warns (as T03) when a wrong secret gets 401 with another error than invalid_client', async () => {
    flaw({
      path: '/revoke',
      answer: (answer, request) =>
        answer.status === 401 && request.headers.authorization?.toString().startsWith('Basic')
          ? { ...answer, json: { error: 'unauthorized_client' } }
          : undefined,
    });
    const result = await outcomeOf(issuer.target(), 'revocation.client-auth');
    expect(result.outcome, result.reason).toBe('warn');
    expect(result.reason).toMatch(/refusal's error is "unauthorized_client", not invalid_client \(RFC 6749 §5.2\)/);
  });

  it('V07 fails when another client can revoke the token (cross-client revocation works)', async () => {
    flaw({
      path: '/revoke',
      request: (request, upstream) =>
        request.headers.authorization === basicAuthorization('secondary', upstream.secrets.secondary)
          ? {
              ...request,
              headers: { ...request.headers, authorization: basicAuthorization('primary', upstream.secrets.primary) },
            }
          : undefined,
    });
    const result = await outcomeOf(issuer.target(), 'revocation.cross-client');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/secondary client revoked the primary client's refresh token/);
    const { login: _login, ...withoutLogin } = issuer.target().profile.issuer!;
    const accessOnly = await outcomeOf(issuer.target({ issuer: withoutLogin }), 'revocation.cross-client');
    expect(accessOnly.outcome).toBe('fail');
    expect(accessOnly.reason).toMatch(/secondary client revoked the primary client's access token/);
  });

  it('V07 warns when another client is answered 200 without the token being revoked', async () => {
    flaw({
      path: '/revoke',
      request: (request, upstream) =>
        request.headers.authorization === basicAuthorization('secondary', upstream.secrets.secondary)
          ? { ...request, body: 'token=unknown-token' }
          : undefined,
    });
    const result = await outcomeOf(issuer.target(), 'revocation.cross-client');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/not informed of the error/);
  });

  it('without introspection, V03 observes revocation at a resource server that trusts the issuer', async () => {
    // The real reference RS validates the issuer's JWTs and learns of revocations from its events.
    // Its event stream comes straight from the issuer: the flaw proxy buffers whole answers.
    const rs = await startResourceServer({
      issuer: issuer.url,
      audience: 'api://default',
      revocationEvents: { url: `http://127.0.0.1:${issuer.issuer.issuer.port}/events/revocations` },
    });
    try {
      const noIntrospection: Flaw = {
        path: (path) => path.startsWith('/.well-known/'),
        json: ({ introspection_endpoint: _endpoint, ...body }) => body,
      };
      const target = issuer.target({
        resourceServer: { url: rs.protectedUrl, audience: 'api://default', trusts: 'issuer' },
        slo: { revocationPropagation: '2s' },
      });
      flaw(noIntrospection);
      const correct = await outcomeOf(target, 'revocation.access-token');
      expect(correct.outcome, correct.reason).toBe('pass');
      expect(correct.reason).toMatch(/inactive at resource server/);
      flaws.length = 0;
      flaw(noIntrospection, revokeDoesNothing);
      const flawed = await outcomeOf(target, 'revocation.access-token');
      expect(flawed.outcome).toBe('warn');
      expect(flawed.reason).toMatch(/still active at resource server/);
    } finally {
      await rs.close();
    }
  });

  it('the checks skip with the reason when the issuer has no revocation endpoint', async () => {
    flaw({
      path: (path) => path.startsWith('/.well-known/'),
      json: (body) => {
        delete body.revocation_endpoint;
        return body;
      },
    });
    const result = await outcomeOf(issuer.target(), 'revocation.unknown-token');
    expect(result.outcome).toBe('skip');
    expect(result.reason).toMatch(/no revocation_endpoint/);
  });
});
