/**
 * Revocation at the real issuer reaches the real RS: at once through the revocation events
 * (JWT and introspection modes, cached tokens included), and within the introspection cache TTL
 * when the RS does not listen to events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../../../harness/oauth/client.ts';
import { eventually, type RsAnswer, startTestStack, type TestStack } from '../../support/resource-server.ts';

async function revoke(s: TestStack, token: string): Promise<void> {
  const answer = await postForm(s.issuer.endpoints.revoke, { token, token_type_hint: 'access_token' }, s.issuer.primary);
  expect(answer.status).toBe(200);
}

function expectRevoked(answer: RsAnswer) {
  expect(answer.status).toBe(401);
  expect(answer.wwwAuthenticate).toMatch(/error="invalid_token"/);
}

describe('JWT mode with revocation events', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await startTestStack();
  });
  afterAll(() => s?.close());

  it('refuses a revoked token that it had already accepted and cached', async () => {
    const token = await s.token();
    const other = await s.token();
    expect((await s.call(token)).status).toBe(200);
    expect((await s.call(token)).status).toBe(200);
    expect(s.rs.context.revocationEvents?.connected).toBe(true);
    await revoke(s, token);
    expect(await eventually(async () => (await s.call(token)).status === 401, 5_000)).toBe(true);
    const answer = await s.call(token);
    expectRevoked(answer);
    expect(answer.body.error_description).toMatch(/revoked/);
    expect((await s.call(other)).status).toBe(200);
  });

  it('refuses the access tokens of a revoked refresh token family', async () => {
    const login = await s.issuer.login(s.issuer.primary, { scope: 'openid read' });
    const access = login.body.access_token!;
    expect((await s.call(access)).status).toBe(200);
    await revoke(s, login.body.refresh_token!);
    expect(await eventually(async () => (await s.call(access)).status === 401, 5_000)).toBe(true);
  });
});

describe('introspection mode', () => {
  it('with events: refuses a revoked opaque token at once, though its active answer is cached', async () => {
    const s = await startTestStack({
      issuer: { tokens: { format: 'opaque' } },
      rs: { mode: 'introspection' },
    });
    try {
      const config = s.rs.context.config.introspection!;
      expect(config.cacheTtl).toBe(30_000);
      const token = await s.token();
      expect(token.split('.').length).toBe(1);
      expect((await s.call(token)).status).toBe(200);
      await revoke(s, token);
      expect(await eventually(async () => (await s.call(token)).status === 401, 5_000)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('without events: the introspection cache TTL bounds propagation', async () => {
    const s = await startTestStack({
      issuer: { tokens: { format: 'opaque' } },
      rs: (issuer) => ({
        mode: 'introspection',
        revocationEvents: { enabled: false },
        introspection: { clientId: 'secondary', clientSecret: issuer.secrets.secondary, cacheTtl: '2s' },
      }),
    });
    try {
      const token = await s.token();
      expect((await s.call(token)).status).toBe(200);
      await revoke(s, token);
      // Inside the TTL the cached active answer stands: the TTL is the bound when no event arrives.
      expect((await s.call(token)).status).toBe(200);
      expect(await eventually(async () => (await s.call(token)).status === 401, 10_000)).toBe(true);
      const introspections = await s.rs.context.metrics.introspections.get();
      expect(introspections.values.find((value) => value.labels.outcome === 'inactive')?.value).toBeGreaterThanOrEqual(1);
    } finally {
      await s.close();
    }
  });
});
