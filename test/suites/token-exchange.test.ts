/**
 * The token-exchange suite against the real reference issuer (passes) and against it with one
 * deliberate flaw at a time. Scope escalation needs a flaw inside the issuer: this file swaps the
 * issuer's scope decision for a test-only one that grants whatever is asked (vi.mock, while
 * `escalate` is on), so the product code stays correct.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProfileInput } from '../../harness/profile/schema.ts';
import { type Flaw, type FlawedIssuer, startFlawedIssuer } from '../support/flawed-issuer.ts';
import { outcomeOf, runSelected } from '../support/run-checks.ts';

const flawSwitch = vi.hoisted(() => ({ escalate: false }));
vi.mock('../../harness/reference/issuer/scope.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../harness/reference/issuer/scope.ts')>();
  return {
    ...real,
    grantScope: (requested: string | undefined, allowed: string[]) =>
      flawSwitch.escalate && requested ? [...new Set(requested.split(' ').filter(Boolean))] : real.grantScope(requested, allowed),
  };
});

const flaws: Flaw[] = [];
let issuer: FlawedIssuer;
let opaque: FlawedIssuer;
const scopes = ['openid', 'read', 'write'];

/** The flawed issuer's profile with the clients' scopes (X05 escalates from one to two). */
function target(upstream: FlawedIssuer, extra: Partial<ProfileInput> = {}) {
  const base = upstream.target().profile.issuer!;
  return upstream.target({
    issuer: {
      ...base,
      clients: { primary: { ...base.clients!.primary, scopes }, secondary: { ...base.clients!.secondary!, scopes } },
    },
    ...extra,
  });
}

beforeAll(async () => {
  [issuer, opaque] = await Promise.all([startFlawedIssuer(flaws), startFlawedIssuer(flaws, { tokens: { format: 'opaque' } })]);
});
afterAll(() => Promise.all([issuer.close(), opaque.close()]));
beforeEach(() => {
  flaws.length = 0;
  flawSwitch.escalate = false;
});

const flaw = (...next: Flaw[]) => flaws.push(...next);
const exchangeRequest = (body: string) => /grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange/.test(body);

describe('token-exchange suite', () => {
  it('passes against the reference issuer, with JWT and with opaque access tokens', async () => {
    for (const upstream of [issuer, opaque]) {
      const results = await runSelected(target(upstream), { suites: ['token-exchange'] });
      expect(results.size).toBe(5);
      for (const [id, result] of results) {
        expect(result.outcome, `${id}: ${result.reason}`).toBe('pass');
        expect(result.evidence.exchanges.length).toBeGreaterThan(0);
      }
      expect(results.get('token-exchange.no-escalation')!.reason).toMatch(/delegation → act/);
    }
  });

  it('X01 reads Cache-Control as a directive list: `no-cache, no-store` passes, `no-cache` alone warns', async () => {
    const cacheControl = (value: string): Flaw => ({
      path: '/token',
      answer: (answer, request) =>
        exchangeRequest(request.body) ? { ...answer, headers: { ...answer.headers, 'cache-control': value } } : undefined,
    });
    flaw(cacheControl('no-cache, no-store'));
    const listed = await outcomeOf(target(issuer), 'token-exchange.valid-exchange');
    expect(listed.outcome, listed.reason).toBe('pass');
    flaws.length = 0;
    flaw(cacheControl('no-cache'));
    const missing = await outcomeOf(target(issuer), 'token-exchange.valid-exchange');
    expect(missing.outcome, missing.reason).toBe('warn');
    expect(missing.reason).toMatch(/Cache-Control: no-cache, without no-store \(RFC 6749 §5.1\)/);
  });

  it('X01 fails when the exchange answer lacks issued_token_type', async () => {
    flaw({ path: '/token', json: (body) => (body.issued_token_type ? { ...body, issued_token_type: undefined } : body) });
    const result = await outcomeOf(target(issuer), 'token-exchange.valid-exchange');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/lacks issued_token_type/);
  });

  it('X02 fails when a missing subject_token_type is exchanged anyway', async () => {
    flaw({
      path: '/token',
      request: (request) =>
        exchangeRequest(request.body) && !/subject_token_type=/.test(request.body)
          ? { ...request, body: `${request.body}&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token` }
          : undefined,
    });
    const result = await outcomeOf(target(issuer), 'token-exchange.missing-types');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/no subject_token_type: HTTP 200/);
  });

  it('X03 fails on a 500 for a garbage subject token, and on another error code', async () => {
    flaw({
      path: '/token',
      respond: (request) =>
        exchangeRequest(request.body) && !/subject_token=eyJ/.test(request.body) ? { status: 500, body: {} } : undefined,
    });
    const crashed = await outcomeOf(target(issuer), 'token-exchange.invalid-subject');
    expect(crashed.outcome).toBe('fail');
    expect(crashed.reason).toMatch(/a garbage subject_token: HTTP 500/);
    flaws.length = 0;
    flaw({ path: '/token', json: (body) => (body.error === 'invalid_request' ? { ...body, error: 'invalid_grant' } : body) });
    const code = await outcomeOf(target(issuer), 'token-exchange.invalid-subject');
    expect(code.outcome).toBe('fail');
    expect(code.reason).toMatch(/HTTP 400 invalid_grant/);
  });

  it('X03 fails when a revoked subject token is exchanged (revocation not checked by the exchange)', async () => {
    // Introspection says revoked (correct), but the exchange is served as if the subject were live:
    // the flaw replaces the revoked subject with a fresh token of the same client.
    let fresh = '';
    flaw({
      path: '/token',
      request: (request) => {
        if (!exchangeRequest(request.body) || !fresh) return undefined;
        const form = new URLSearchParams(request.body);
        if (form.get('subject_token')?.startsWith('eyJ')) form.set('subject_token', fresh);
        return { ...request, body: form.toString() };
      },
    });
    const primary = target(issuer).profile.issuer!.clients!.primary;
    const { tokenRequest } = await import('../../harness/oauth/client.ts');
    fresh = String(
      (
        await tokenRequest(
          `${issuer.url}/token`,
          { grant_type: 'client_credentials' },
          {
            method: 'client_secret_basic',
            clientId: primary.id,
            secret: primary.secret!,
          },
        )
      ).body.access_token,
    );
    const result = await outcomeOf(target(issuer), 'token-exchange.invalid-subject');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/a revoked subject_token was exchanged/);
  });

  it('X03 fails when an expired subject token is exchanged (the issuer clock shifted past its exp)', async () => {
    // The flaw: while the clock is shifted, exchanges ignore the subject's expiry and issue a token.
    let shifted = false;
    flaw(
      {
        path: '/admin/clock',
        request: (request) => {
          shifted = Number(JSON.parse(request.body).offsetSeconds) > 0;
          return undefined;
        },
      },
      {
        path: '/token',
        respond: (request) =>
          shifted && exchangeRequest(request.body)
            ? {
                status: 200,
                body: {
                  access_token: 'issued-from-an-expired-subject',
                  issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
                  token_type: 'Bearer',
                },
              }
            : undefined,
      },
    );
    const result = await outcomeOf(target(issuer), 'token-exchange.invalid-subject');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/an expired subject_token was exchanged/);
  });

  it('X04 fails when an unknown audience is granted, warns when refused without invalid_target', async () => {
    flaw({
      path: '/token',
      request: (request) =>
        exchangeRequest(request.body) ? { ...request, body: request.body.replace(/&(audience|resource)=[^&]*/g, '') } : undefined,
    });
    const granted = await outcomeOf(target(issuer), 'token-exchange.unacceptable-audience');
    expect(granted.outcome).toBe('fail');
    expect(granted.reason).toMatch(/was granted/);
    flaws.length = 0;
    flaw({ path: '/token', json: (body) => (body.error === 'invalid_target' ? { ...body, error: 'invalid_request' } : body) });
    const code = await outcomeOf(target(issuer), 'token-exchange.unacceptable-audience');
    expect(code.outcome).toBe('warn');
    expect(code.reason).toMatch(/not invalid_target/);
  });

  it('X05 warns on scope escalation (JWT and opaque tokens; RFC 8693 leaves scope to policy), fails a non-400 refusal, and warns when a delegated token has no act', async () => {
    flawSwitch.escalate = true;
    for (const upstream of [issuer, opaque]) {
      const result = await outcomeOf(target(upstream), 'token-exchange.no-escalation');
      expect(result.outcome, result.reason).toBe('warn');
      expect(result.reason).toMatch(/issued a token with write beyond the subject token's read .*RFC 8693 §2.1/);
    }
    flawSwitch.escalate = false;
    flaw({
      path: '/token',
      answer: (answer, request) =>
        exchangeRequest(request.body) && /scope=/.test(request.body)
          ? { ...answer, status: 500, json: { error: 'server_error' } }
          : undefined,
    });
    const crashed = await outcomeOf(target(issuer), 'token-exchange.no-escalation');
    expect(crashed.outcome).toBe('fail');
    expect(crashed.reason).toMatch(/answered HTTP 500: RFC 8693 §2.2.2/);
    flaws.length = 0;
    flawSwitch.escalate = false;
    flaw({ path: '/introspect', json: ({ act: _act, ...body }) => body });
    const noAct = await outcomeOf(target(opaque), 'token-exchange.no-escalation');
    expect(noAct.outcome).toBe('warn');
    expect(noAct.reason).toMatch(/carries no act claim/);
  });

  it('skips with the reason when the issuer does not offer token exchange', async () => {
    flaw({
      path: (path) => path.startsWith('/.well-known/'),
      json: (body) => ({
        ...body,
        grant_types_supported: (body.grant_types_supported as string[]).filter((grant) => !grant.includes('token-exchange')),
      }),
    });
    const results = await runSelected(target(issuer), { suites: ['token-exchange'] });
    for (const result of results.values()) expect(result.outcome, result.id).toBe('skip');
    expect(results.get('token-exchange.valid-exchange')!.reason).toMatch(
      /does not list urn:ietf:params:oauth:grant-type:token-exchange/,
    );
  });
});
