/**
 * The rs-errors suite (RFC 6750 answers) against the reference resource server (passes) and the
 * same server with one deliberate flaw at a time (the guarding check fails, or warns for SHOULD).
 */
import { describe, expect, it } from 'vitest';
import { profileSchema } from '../../harness/profile/schema.ts';
import { authorizationOf, flawedRsPerTest, jsonAnswer, type RsFlaw } from '../support/flawed-rs-errors.ts';
import { startTestStack } from '../support/resource-server.ts';
import { outcomeOf, runSelected } from '../support/run-checks.ts';

const { withFlaw } = flawedRsPerTest();

const withHeader =
  (name: string, change: (value: string) => string): RsFlaw['response'] =>
  (answer) => {
    const value = answer.headers[name];
    return typeof value === 'string' ? { ...answer, headers: { ...answer.headers, [name]: change(value) } } : answer;
  };

describe('rs-errors suite', () => {
  it('passes against the reference resource server', async () => {
    const rs = await withFlaw();
    const results = await runSelected(rs.target(), { suites: ['rs-errors'] });
    const outcomes = Object.fromEntries([...results].map(([id, result]) => [id, result.outcome]));
    expect(outcomes).toEqual({
      'rs-errors.no-credentials': 'pass',
      'rs-errors.invalid-token': 'pass',
      'rs-errors.malformed-request': 'pass',
      'rs-errors.insufficient-scope': 'pass',
      'rs-errors.query-token': 'pass',
      'rs-errors.scheme-case': 'pass',
      'rs-errors.no-token-echo': 'pass',
    });
    expect(results.get('rs-errors.invalid-token')!.reason).toMatch(/3 invalid tokens/);
  });

  it('passes against a reference RS that trusts the target issuer (tokens from its token endpoint)', async () => {
    const stack = await startTestStack({ rs: { resourceMetadata: {} } });
    try {
      const profile = profileSchema.parse({
        name: 'issuer-trusting RS',
        issuer: {
          url: stack.issuer.url,
          clients: { primary: { id: 'primary', secret: stack.issuer.secrets.primary, scopes: ['openid', 'read', 'write'] } },
        },
        resourceServer: { url: stack.rs.protectedUrl, audience: 'api://default', scope: 'read', trusts: 'issuer' },
      });
      const results = await runSelected({ name: profile.name, profile, baseDir: process.cwd() }, { suites: ['rs-errors'] });
      expect(Object.fromEntries([...results].map(([id, result]) => [id, result.outcome]))).toEqual({
        'rs-errors.no-credentials': 'pass',
        'rs-errors.invalid-token': 'pass',
        'rs-errors.malformed-request': 'pass',
        'rs-errors.insufficient-scope': 'pass',
        'rs-errors.query-token': 'pass',
        'rs-errors.scheme-case': 'pass',
        'rs-errors.no-token-echo': 'pass',
      });
      expect(results.get('rs-errors.invalid-token')!.reason).toMatch(/^1 invalid tokens/);
    } finally {
      await stack.close();
    }
  });

  it('is error naming the positive control S01 when the RS accepts no valid token', async () => {
    const rs = await withFlaw({
      request: (request) =>
        authorizationOf(request) ? jsonAnswer(401, {}, { 'www-authenticate': 'Bearer error="invalid_token"' }) : request,
    });
    const results = await runSelected(rs.target(), { suites: ['rs-errors'] });
    expect(results.get('rs-errors.scheme-case')!.outcome).toBe('error');
    expect(results.get('rs-errors.scheme-case')!.reason).toMatch(/positive control S01 \(rs-claims.valid-token\) failed/);
    expect(results.get('rs-errors.invalid-token')!.outcome).toBe('pass');
  });

  it('E01 fails without WWW-Authenticate, warns on an error code for a request without credentials', async () => {
    const bare = await withFlaw({
      response: (answer) => {
        const { 'www-authenticate': _dropped, ...headers } = answer.headers;
        return { ...answer, headers };
      },
    });
    const failed = await outcomeOf(bare.target(), 'rs-errors.no-credentials');
    expect(failed.outcome).toBe('fail');
    expect(failed.reason).toMatch(/without a WWW-Authenticate Bearer challenge/);
    const coded = await withFlaw({ response: withHeader('www-authenticate', (value) => `${value}, error="invalid_token"`) });
    const warned = await outcomeOf(coded.target(), 'rs-errors.no-credentials');
    expect(warned.outcome).toBe('warn');
    expect(warned.reason).toMatch(/SHOULD NOT include an error code/);
    const open = await withFlaw({ request: (request) => (authorizationOf(request) ? request : jsonAnswer(200, {})) });
    expect((await outcomeOf(open.target(), 'rs-errors.no-credentials')).reason).toMatch(/not protected/);
  });

  it('E02 fails when an invalid token gets no challenge, warns on 400 instead of 401', async () => {
    const bare = await withFlaw({
      response: (answer, request) => {
        if (!authorizationOf(request)) return answer;
        const { 'www-authenticate': _dropped, ...headers } = answer.headers;
        return { ...answer, headers };
      },
    });
    const failed = await outcomeOf(bare.target(), 'rs-errors.invalid-token');
    expect(failed.outcome).toBe('fail');
    expect(failed.reason).toMatch(/refused without a WWW-Authenticate Bearer challenge/);
    const badStatus = await withFlaw({ response: (answer) => (answer.status === 401 ? { ...answer, status: 400 } : answer) });
    const warned = await outcomeOf(badStatus.target(), 'rs-errors.invalid-token');
    expect(warned.outcome).toBe('warn');
    expect(warned.reason).toMatch(/HTTP 400 instead of 401/);
  });

  it('E03 fails when an empty Bearer value is served, warns when a token sent two ways is accepted (RFC 6750 §3.1 SHOULD)', async () => {
    const empty = await withFlaw({
      request: (request) => (authorizationOf(request) === 'Bearer' ? jsonAnswer(200, { sub: null }) : request),
    });
    const failed = await outcomeOf(empty.target(), 'rs-errors.malformed-request');
    expect(failed.outcome).toBe('fail');
    expect(failed.reason).toMatch(/empty Bearer value was accepted/);
    const stripQuery = (request: Parameters<NonNullable<RsFlaw['request']>>[0]) =>
      authorizationOf(request) ? { ...request, url: request.url.split('?')[0]! } : request;
    const both = await withFlaw({ config: { allowQueryToken: true }, request: stripQuery });
    // §2's MUST NOT binds the client; the server's duty (§3.1) is a SHOULD, even when it takes query tokens.
    const bothWarned = await outcomeOf(both.target(), 'rs-errors.malformed-request');
    expect(bothWarned.outcome).toBe('warn');
    expect(bothWarned.reason).toMatch(/and the RS also takes query tokens; RFC 6750 §3.1: SHOULD answer 400/);
    const ignores = await withFlaw({ request: stripQuery });
    const warned = await outcomeOf(ignores.target(), 'rs-errors.malformed-request');
    expect(warned.outcome).toBe('warn');
    expect(warned.reason).toMatch(/ignores query tokens/);
  });

  it('E04 fails when the scope is not enforced, warns on 401 instead of 403', async () => {
    const unscoped = await withFlaw({ config: { requiredScope: [] } });
    const failed = await outcomeOf(unscoped.target(), 'rs-errors.insufficient-scope');
    expect(failed.outcome).toBe('fail');
    expect(failed.reason).toMatch(/authorization bypass/);
    const status = await withFlaw({ response: (answer) => (answer.status === 403 ? { ...answer, status: 401 } : answer) });
    const warned = await outcomeOf(status.target(), 'rs-errors.insufficient-scope');
    expect(warned.outcome).toBe('warn');
    expect(warned.reason).toMatch(/SHOULD be 403/);
    const noScope = await withFlaw();
    expect((await outcomeOf(noScope.target({ scope: undefined }), 'rs-errors.insufficient-scope')).outcome).toBe('skip');
  });

  it('E05 warns when a token in the query string is accepted', async () => {
    const rs = await withFlaw({ config: { allowQueryToken: true } });
    const result = await outcomeOf(rs.target(), 'rs-errors.query-token');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/access_token query parameter was accepted/);
  });

  it('E06 fails when the scheme is matched case-sensitively', async () => {
    const rs = await withFlaw({
      request: (request) => {
        const authorization = authorizationOf(request);
        if (!authorization || authorization.startsWith('Bearer ')) return request;
        return jsonAnswer(401, {}, { 'www-authenticate': 'Bearer realm="flawed"' });
      },
    });
    const result = await outcomeOf(rs.target(), 'rs-errors.scheme-case');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/"bearer" \(HTTP 401/);
  });

  it('E07 fails when an error answer echoes the token, and never shows it whole', async () => {
    const rs = await withFlaw({
      response: (answer, request) => {
        if (answer.status < 400) return answer;
        const token = authorizationOf(request)?.split(' ')[1];
        return token ? jsonAnswer(answer.status, { error: 'invalid_token', error_description: `bad token ${token}` }) : answer;
      },
    });
    const result = await outcomeOf(rs.target(), 'rs-errors.no-token-echo');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/echo the token \(a random string no issuer made: in the body/);
    const evidence = JSON.stringify(result.evidence);
    expect(evidence).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{20,}/);
  });
});
