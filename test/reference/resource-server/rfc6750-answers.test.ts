/**
 * How the reference RS answers requests (CHECKS.md rs-errors E01-E07, S27): where a token may
 * be, which scheme spellings count, the status and challenge of each refusal, oversized
 * requests, and that no answer echoes the token.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResourceServer } from '../../../harness/reference/resource-server/server.ts';
import { callProtected, startTestStack, type TestStack, testRsConfig } from '../../support/resource-server.ts';

let s: TestStack;
let token: string;
beforeAll(async () => {
  s = await startTestStack();
  token = await s.token();
});
afterAll(() => s?.close());

/**
 * A raw request, so header sizes and repetitions fetch would refuse can be sent (headers as an
 * object, or as a rawHeaders-style array for repeated names); resolves the status or the socket error.
 */
function rawGet(path: string, headers: Record<string, string> | string[]): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const request = httpRequest(`${s.rs.url}${path}`, { headers }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode! }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    request.end();
  });
}

describe('where the token is (E01, E03, E05, E06)', () => {
  it('E01: no credentials → 401 with a Bearer challenge and no error code', async () => {
    const answer = await s.call(undefined);
    expect(answer.status).toBe(401);
    expect(answer.wwwAuthenticate).toBe('Bearer realm="tokenproof"');
    expect(answer.body.error).toBeUndefined();
  });

  it('E01: another scheme (Basic) is answered like no credentials', async () => {
    const answer = await s.call(undefined, { authorization: 'Basic cHJpbWFyeTpzZWNyZXQ=' });
    expect(answer.status).toBe(401);
    expect(answer.wwwAuthenticate).toBe('Bearer realm="tokenproof"');
  });

  it('E06: the scheme name is case-insensitive', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      expect((await s.call(token, { scheme })).status).toBe(200);
    }
  });

  it('E03: an empty Bearer value, a token in header and query, or twice → 400 invalid_request', async () => {
    for (const authorization of ['Bearer', 'Bearer ', 'bearer    ']) {
      const answer = await s.call(undefined, { authorization });
      expect(answer.status, JSON.stringify(authorization)).toBe(400);
      expect(answer.wwwAuthenticate).toMatch(/^Bearer realm="tokenproof", error="invalid_request"/);
    }
    const both = await s.call(token, { query: `access_token=${token}` });
    expect(both.status).toBe(400);
    expect(both.body.error).toBe('invalid_request');
    const host = new URL(s.rs.url).host;
    const once = await rawGet('/protected', ['host', host, 'authorization', `Bearer ${token}`]);
    expect(once.status).toBe(200);
    const twice = await rawGet('/protected', [
      'host',
      host,
      'authorization',
      `Bearer ${token}`,
      'Authorization',
      `Bearer ${token}`,
    ]);
    expect(twice.status).toBe(400);
    const withBody = await s.call(token, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${token}`,
    });
    expect(withBody.status).toBe(400);
  });

  it('E05: a token only in the query string is refused unless configured', async () => {
    const answer = await s.call(undefined, { query: `access_token=${token}` });
    expect(answer.status).toBe(401);
    expect(answer.wwwAuthenticate).toBe('Bearer realm="tokenproof"');
    const lenient = await startResourceServer(
      testRsConfig(s.issuer, { allowQueryToken: true, revocationEvents: { enabled: false } }),
    );
    try {
      expect((await callProtected(lenient.url, undefined, { query: `access_token=${token}` })).status).toBe(200);
      expect((await callProtected(lenient.url, undefined, { query: `access_token=${token}&access_token=${token}` })).status).toBe(
        400,
      );
    } finally {
      await lenient.close();
    }
  });

  it('E05: a token only in a form body is refused', async () => {
    const answer = await s.call(undefined, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${token}`,
    });
    expect(answer.status).toBe(401);
  });

  it('serves every method under /protected/', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      expect((await s.call(token, { method, path: '/protected/orders/7' })).status, method).toBe(200);
    }
    expect(
      (await s.call(token, { method: 'POST', body: '{"not":"parsed"', headers: { 'content-type': 'application/json' } })).status,
    ).toBe(200);
  });
});

describe('E02, E07: invalid tokens', () => {
  it('answers 401 invalid_token and never echoes the token in body or headers', async () => {
    const expired = s.forge({ claims: { exp: Math.floor(Date.now() / 1000) - 3600 } });
    const garbage = `${'x'.repeat(40)}.${'y'.repeat(40)}.${'z'.repeat(40)}`;
    for (const bad of [expired, garbage, `${token}x`, 'short']) {
      const answer = await s.call(bad);
      expect(answer.status).toBe(401);
      expect(answer.wwwAuthenticate).toMatch(/^Bearer realm="tokenproof", error="invalid_token", error_description="[^"]+"$/);
      const everything = `${answer.text}\n${[...answer.headers].map(([name, value]) => `${name}: ${value}`).join('\n')}`;
      for (const piece of bad.split('.').filter((part) => part.length >= 8)) expect(everything).not.toContain(piece);
    }
  });

  it('answers 401 invalid_token (not 400) to characters a token cannot have', async () => {
    const answer = await s.call(undefined, { authorization: 'Bearer abc,def' });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_token');
  });
});

describe('S27: oversized tokens', () => {
  it('answers 401 to a token over the length limit and 431 to headers over the size limit, and keeps serving', async () => {
    const eightKiB = s.forge({ claims: { pad: 'p'.repeat(8 * 1024) } });
    expect((await s.call(eightKiB)).status).toBe(401);
    for (const size of [64 * 1024, 1024 * 1024]) {
      const answer = await rawGet('/protected', { authorization: `Bearer ${'a'.repeat(size)}` });
      // 431 from the HTTP parser; a client still sending a 1 MiB head may see the reset instead.
      expect(answer.status === 431 || answer.error === 'ECONNRESET' || answer.error === 'EPIPE', JSON.stringify(answer)).toBe(
        true,
      );
    }
    const dots = await rawGet('/protected', { authorization: `Bearer ${'.'.repeat(100_000)}` });
    expect(dots.status === 431 || dots.error === 'ECONNRESET' || dots.error === 'EPIPE').toBe(true);
    const queryDots = await rawGet(`/protected?access_token=${'.'.repeat(100_000)}`, {});
    expect(queryDots.status === 431 || queryDots.error === 'ECONNRESET' || queryDots.error === 'EPIPE').toBe(true);
    expect((await s.call(token)).status).toBe(200);
  });

  it('answers 401 quickly to many dots within the header limit', async () => {
    const answer = await s.call(undefined, { authorization: `Bearer ${'.'.repeat(12_000)}` });
    expect(answer.status).toBe(401);
  });
});

describe('health and metrics', () => {
  it('reports readiness and counts validations by outcome', async () => {
    const health = await fetch(`${s.rs.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', mode: 'jwt', revocationEvents: 'connected' });
    await s.call(token);
    await s.call(token);
    await s.call(s.forge({ claims: { aud: 'api://other' } }));
    const metrics = await (await fetch(`${s.rs.url}/metrics`)).text();
    expect(metrics).toMatch(/tokenproof_rs_validations_total\{outcome="ok",reason="ok"\} \d+/);
    expect(metrics).toMatch(/tokenproof_rs_validations_total\{outcome="invalid_token",reason="audience"\} [1-9]/);
    expect(metrics).toMatch(/tokenproof_rs_validation_duration_seconds_count [1-9]/);
    expect(metrics).toMatch(/tokenproof_rs_jwks_fetches_total\{outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/tokenproof_rs_cache_lookups_total\{cache="token",result="hit"\} [1-9]/);
    expect(metrics).not.toContain(token.split('.')[2]!.slice(0, 20));
  });
});
