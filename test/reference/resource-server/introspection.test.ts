/**
 * The RS in introspection mode against the real issuer issuing opaque tokens: what it accepts
 * and refuses, its cache, and its failure policy when the issuer cannot answer (C02: fail closed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenRequest } from '../../../harness/oauth/client.ts';
import type { ResourceServerConfigInput } from '../../../harness/reference/resource-server/config.ts';
import { type RunningResourceServer, startResourceServer } from '../../../harness/reference/resource-server/server.ts';
import type { TestIssuer } from '../../support/issuer.ts';
import { callProtected, eventually, startTestStack, type TestStack, testRsConfig } from '../../support/resource-server.ts';

const opaqueIssuer = { tokens: { format: 'opaque' as const } };

async function counterValue(rs: RunningResourceServer, name: 'introspections' | 'cacheLookups', labels: Record<string, string>) {
  const metric = await rs.context.metrics[name].get();
  const match = metric.values.find((value) =>
    Object.entries(labels).every(([key, wanted]) => (value.labels as Record<string, unknown>)[key] === wanted),
  );
  return match?.value ?? 0;
}

describe('introspection mode, issuer up', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await startTestStack({ issuer: opaqueIssuer, rs: { mode: 'introspection' } });
  });
  afterAll(() => s?.close());

  it('accepts an active access token and reuses the answer', async () => {
    const token = await s.token();
    const first = await s.call(token);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ sub: 'primary', client_id: 'primary', scope: 'read write', token_type: 'Bearer' });
    expect((await s.call(token)).status).toBe(200);
    expect(await counterValue(s.rs, 'cacheLookups', { cache: 'introspection', result: 'hit' })).toBeGreaterThanOrEqual(1);
  });

  it('refuses unknown tokens, refresh tokens and tokens for another audience', async () => {
    const unknown = await s.call('b'.repeat(43));
    expect(unknown.status).toBe(401);
    expect(unknown.body.error_description).toMatch(/not active/);
    const login = await s.issuer.login(s.issuer.primary);
    const refresh = await s.call(login.body.refresh_token!);
    expect(refresh.status).toBe(401);
    expect(refresh.body.error_description).toMatch(/not an access token/);
    expect((await s.call(login.body.access_token!)).status).toBe(200);
    const orders = await tokenRequest(
      s.issuer.endpoints.token,
      { grant_type: 'client_credentials', scope: 'read', resource: 'api://orders' },
      s.issuer.primary,
    );
    const foreign = await s.call(orders.body.access_token!);
    expect(foreign.status).toBe(401);
    expect(foreign.body.error_description).toMatch(/not meant/);
  });

  it('answers 403 insufficient_scope', async () => {
    const answer = await s.call(await s.token({ scope: 'write' }));
    expect(answer.status).toBe(403);
    expect(answer.wwwAuthenticate).toContain('error="insufficient_scope"');
  });
});

describe('introspection mode, issuer down (C02)', () => {
  let issuer: TestIssuer;
  let stack: TestStack;
  let tokens: string[];
  const servers: RunningResourceServer[] = [];
  const start = async (overrides: Partial<ResourceServerConfigInput>) => {
    const rs = await startResourceServer(
      testRsConfig(issuer, {
        mode: 'introspection',
        revocationEvents: { enabled: false },
        ...overrides,
        introspection: {
          clientId: 'secondary',
          clientSecret: issuer.secrets.secondary,
          timeout: '1s',
          ...overrides.introspection,
        },
      }),
    );
    servers.push(rs);
    return rs;
  };

  beforeAll(async () => {
    stack = await startTestStack({ issuer: opaqueIssuer, rs: { mode: 'introspection', revocationEvents: { enabled: false } } });
    issuer = stack.issuer;
    tokens = [await stack.token(), await stack.token(), await stack.token()];
  });
  afterAll(async () => {
    for (const rs of servers) await rs.close();
    await stack?.rs.close();
  });

  it('fails closed: 503 by default, 401 with policy reject, never 200 for a token it has no answer for', async () => {
    const unavailable = await start({});
    const reject = await start({ failurePolicy: { introspection: 'reject' } });
    const stale = await start({ failurePolicy: { introspection: 'stale' } });
    const wrongCredentials = await start({ introspection: { clientId: 'secondary', clientSecret: 'wrong-secret-value' } });
    expect((await callProtected(wrongCredentials.url, tokens[0])).status).toBe(503);
    await issuer.close();

    const down = await callProtected(unavailable.url, tokens[0]);
    expect(down.status).toBe(503);
    expect(down.body.error).toBe('temporarily_unavailable');
    expect(down.headers.get('retry-after')).toBe('5');
    const refused = await callProtected(reject.url, tokens[0]);
    expect(refused.status).toBe(401);
    expect(refused.wwwAuthenticate).toContain('error="invalid_token"');
    expect((await callProtected(stale.url, tokens[0])).status).toBe(503);
    expect(await counterValue(unavailable, 'introspections', { outcome: 'error' })).toBeGreaterThanOrEqual(1);
  });
});

describe('introspection mode, stale policy', () => {
  it('reuses an earlier active answer past its TTL while the issuer is down, and nothing it never saw', async () => {
    const s = await startTestStack({
      issuer: opaqueIssuer,
      rs: (issuer) => ({
        mode: 'introspection',
        revocationEvents: { enabled: false },
        failurePolicy: { introspection: 'stale', staleFor: '1h' },
        introspection: { clientId: 'secondary', clientSecret: issuer.secrets.secondary, cacheTtl: '100ms', timeout: '1s' },
      }),
    });
    try {
      const seen = await s.token();
      const unseen = await s.token();
      expect((await s.call(seen)).status).toBe(200);
      await s.issuer.close();
      // Once the TTL has run out the RS asks the issuer again, fails, and falls back to the stale answer.
      const fellBack = await eventually(async () => {
        expect((await s.call(seen)).status).toBe(200);
        return (await counterValue(s.rs, 'introspections', { outcome: 'error' })) >= 1;
      });
      expect(fellBack).toBe(true);
      expect((await s.call(unseen)).status).toBe(503);
    } finally {
      await s.rs.close();
    }
  });
});
