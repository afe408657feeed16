/**
 * A plain GET of a protected path is answered by node:http without fastify (protected-route.ts);
 * every other request goes through fastify. Both ways must give the same answer: the same request
 * is sent once on the direct way and once with a `%` in its query (which routes it through
 * fastify, and changes nothing else), and status, headers and body are compared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDirectProtectedRequest } from '../../../harness/reference/resource-server/protected-route.ts';
import { startTestStack, type TestStack } from '../../support/resource-server.ts';

let s: TestStack;
beforeAll(async () => {
  s = await startTestStack({ rs: { resourceMetadata: { inChallenge: true } } });
});
afterAll(() => s?.close());

/** What the two ways must agree on: everything but the Date and connection headers. */
async function answerOf(path: string, headers: Record<string, string>, query: string) {
  const response = await fetch(`${s.rs.url}${path}${query}`, { headers });
  const kept = [...response.headers].filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name));
  return { status: response.status, headers: Object.fromEntries(kept), body: await response.text() };
}

describe('the direct GET way and the fastify way answer alike', () => {
  it('accepts, refuses and challenges identically', async () => {
    const token = await s.token({ scope: 'read write' });
    const writeOnly = await s.token({ scope: 'write' });
    const cases: [string, string, Record<string, string>][] = [
      ['valid token', '/protected', { authorization: `Bearer ${token}` }],
      ['valid token, subpath', '/protected/orders/7', { authorization: `bearer ${token}` }],
      ['valid token, trailing slash', '/protected/', { authorization: `Bearer ${token}` }],
      ['no credentials', '/protected', {}],
      ['Basic scheme', '/protected', { authorization: 'Basic cHJpbWFyeTpzZWNyZXQ=' }],
      ['empty Bearer', '/protected', { authorization: 'Bearer ' }],
      ['bad characters', '/protected', { authorization: 'Bearer a"b' }],
      ['expired', '/protected', { authorization: `Bearer ${s.forge({ claims: { exp: 1000 } })}` }],
      ['forged signature', '/protected', { authorization: `Bearer ${token.slice(0, -4)}AAAA` }],
      ['wrong audience', '/protected', { authorization: `Bearer ${s.forge({ claims: { aud: 'api://other' } })}` }],
      ['insufficient scope', '/protected', { authorization: `Bearer ${writeOnly}` }],
      ['DPoP scheme, unbound token', '/protected', { authorization: `DPoP ${token}` }],
    ];
    for (const [name, path, headers] of cases) {
      const direct = await answerOf(path, headers, '?direct=1');
      const viaFastify = await answerOf(path, headers, '?via=%66astify');
      expect(direct, name).toEqual(viaFastify);
    }
    const ok = await answerOf('/protected', { authorization: `Bearer ${token}` }, '');
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(ok.body)).toEqual({ sub: 'primary', client_id: 'primary', scope: 'read write', token_type: 'Bearer' });
    const refused = await answerOf('/protected', { authorization: `Bearer ${writeOnly}` }, '');
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toMatch(
      /error="insufficient_scope", error_description="[^"]+", scope="read", resource_metadata="http:/,
    );
  });

  it('answers an unexpected failure with a bare 500 both ways', async () => {
    const token = await s.token();
    const rules = s.rs.context.scopeRules;
    const original = rules.requiredFor;
    rules.requiredFor = () => {
      throw new Error('broken on purpose');
    };
    try {
      const direct = await answerOf('/protected', { authorization: `Bearer ${token}` }, '');
      const viaFastify = await answerOf('/protected', { authorization: `Bearer ${token}` }, '?x=%31');
      expect(direct.status).toBe(500);
      expect(JSON.parse(direct.body)).toEqual({ error: 'server_error', error_description: 'internal error' });
      expect(direct).toEqual(viaFastify);
    } finally {
      rules.requiredFor = original;
    }
  });

  it('leaves other paths, methods and encoded targets to fastify', async () => {
    expect(isDirectProtectedRequest('GET', '/protected')).toBe(true);
    expect(isDirectProtectedRequest('GET', '/protected/a/b?c=d')).toBe(true);
    expect(isDirectProtectedRequest('GET', '/protected?x')).toBe(true);
    expect(isDirectProtectedRequest('HEAD', '/protected')).toBe(false);
    expect(isDirectProtectedRequest('POST', '/protected')).toBe(false);
    expect(isDirectProtectedRequest('GET', '/protectedX')).toBe(false);
    expect(isDirectProtectedRequest('GET', '/protected%2Fx')).toBe(false);
    expect(isDirectProtectedRequest('GET', '/protected#x')).toBe(false);
    expect(isDirectProtectedRequest('GET', '/Protected')).toBe(false);
    expect((await fetch(`${s.rs.url}/protectedX`)).status).toBe(404);
    expect((await fetch(`${s.rs.url}/health`)).status).toBe(200);
    const head = await fetch(`${s.rs.url}/protected`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${await s.token()}` },
    });
    expect(head.status).toBe(200);
  });
});
