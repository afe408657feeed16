/**
 * The introspection suite against the real reference issuer (passes) and against it with one
 * deliberate flaw at a time. One issuer for the file (each test swaps the flaw in), and one with
 * two-second access tokens for the expiry case.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { basicAuthorization } from '../../harness/oauth/client.ts';
import { type Flaw, type FlawedIssuer, type FlawRequest, startFlawedIssuer } from '../support/flawed-issuer.ts';
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
const introspection = (change: (body: Record<string, unknown>) => unknown): Flaw => ({ path: '/introspect', json: change });
const tokenOf = (request: FlawRequest) => new URLSearchParams(request.body).get('token') ?? '';

describe('introspection suite', () => {
  it('passes against the reference issuer', async () => {
    const results = await runSelected(issuer.target(), { suites: ['introspection'] });
    expect(results.size).toBe(6);
    for (const [id, result] of results) {
      expect(result.outcome, `${id}: ${result.reason}`).toBe('pass');
      expect(result.evidence.exchanges.length).toBeGreaterThan(0);
    }
  });

  it('I01 fails when active is not a boolean, and warns on a surprising active:false', async () => {
    flaw(introspection((body) => ({ ...body, active: String(body.active) })));
    const typed = await outcomeOf(issuer.target(), 'introspection.active-token');
    expect(typed.outcome).toBe('fail');
    expect(typed.reason).toMatch(/"active" is "true", not a boolean/);
    flaws.length = 0;
    flaw(introspection(() => ({ active: false })));
    const inactive = await outcomeOf(issuer.target(), 'introspection.active-token');
    expect(inactive.outcome).toBe('warn');
    expect(inactive.reason).toMatch(/RFC 7662 §2.2 and §4 allow that/);
  });

  it('I01 reports a vendor audience parameter (tokenParams) as non-standard, and sends it', async () => {
    const base = issuer.target().profile.issuer!;
    const vendor = issuer.target({
      issuer: {
        ...base,
        clients: { ...base.clients!, primary: { ...base.clients!.primary, tokenParams: { audience: 'api://orders' } } },
      },
    });
    const result = await outcomeOf(vendor, 'introspection.active-token');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/vendor token parameters \(tokenParams\) instead of RFC 8707 resource/);
    const sent = result.evidence.exchanges.find((exchange) => exchange.request.url.endsWith('/token'));
    expect(JSON.stringify(sent?.request)).toMatch(/audience=api%3A%2F%2Forders|audience=api:\/\/orders/);
  });

  it('I01 fails when the issuer refuses to introspect a live token (unsupported_token_type), naming the way out', async () => {
    flaw({ path: '/introspect', status: 400, body: { error: 'unsupported_token_type' } });
    const result = await outcomeOf(issuer.target(), 'introspection.active-token');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(
      /refuses to introspect this token .*a JWT access token.*RFC 7662 §2.3.*issuer.introspection.audience/,
    );
  });

  it('I01 fails on a server error', async () => {
    flaw({ path: '/introspect', status: 500 });
    const result = await outcomeOf(issuer.target(), 'introspection.active-token');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/HTTP 500/);
  });

  it('I02 fails on exp as a string or a foreign iss, warns on an scp array', async () => {
    flaw(introspection((body) => (body.active ? { ...body, exp: String(body.exp), iss: 'https://elsewhere.example' } : body)));
    const wrong = await outcomeOf(issuer.target(), 'introspection.member-types');
    expect(wrong.outcome).toBe('fail');
    expect(wrong.reason).toMatch(/exp is "\d+", not an integer NumericDate; iss is "https:\/\/elsewhere.example"/);
    flaws.length = 0;
    flaw(
      introspection((body) => {
        if (!body.active) return body;
        const { scope, ...rest } = body;
        return { ...rest, scp: String(scope).split(' ') };
      }),
    );
    const scp = await outcomeOf(issuer.target(), 'introspection.member-types');
    expect(scp.outcome).toBe('warn');
    expect(scp.reason).toMatch(/non-standard scp array/);
  });

  it('I03 fails when unknown tokens are active and warns on extra members beside active:false', async () => {
    flaw(introspection((body) => ({ ...body, active: true })));
    const active = await outcomeOf(issuer.target(), 'introspection.inactive-tokens');
    // I01 passes under this flaw too: every token is "active".
    expect(active.outcome).toBe('fail');
    expect(active.reason).toMatch(/an unknown token is introspected active/);
    flaws.length = 0;
    flaw(introspection((body) => (body.active ? body : { active: false, client_id: 'primary' })));
    const extra = await outcomeOf(issuer.target(), 'introspection.inactive-tokens');
    expect(extra.outcome).toBe('warn');
    expect(extra.reason).toMatch(/also carries client_id/);
  });

  it('I03 fails when an expired token stays active (two-second tokens)', async () => {
    const expiring = await startFlawedIssuer(
      [
        {
          path: '/introspect',
          // Active:true for a JWT whose exp has passed: expiry not enforced at introspection.
          respond: (request) => {
            const token = tokenOf(request);
            if (token.split('.').length !== 3) return undefined;
            const { exp } = decodeJwt(token);
            return typeof exp === 'number' && exp * 1000 < Date.now() ? { status: 200, body: { active: true, exp } } : undefined;
          },
        },
      ],
      { tokens: { accessTokenTtl: '2s' } },
    );
    try {
      const correct = await outcomeOf(expiring.target(), 'introspection.inactive-tokens');
      expect(correct.outcome, correct.reason).toBe('fail');
      expect(correct.reason).toMatch(/still introspected active more than 5 s after its expires_in \(2 s\)/);
    } finally {
      await expiring.close();
    }
  });

  it('I03 fails when a token expired by an issuer clock shift stays active', async () => {
    // The flaw watches the clock requests and calls JWTs active past their exp on the shifted clock.
    let offsetSeconds = 0;
    flaw(
      {
        path: '/admin/clock',
        request: (request) => {
          offsetSeconds = Number(JSON.parse(request.body).offsetSeconds);
          return undefined;
        },
      },
      {
        path: '/introspect',
        respond: (request) => {
          const token = tokenOf(request);
          if (token.split('.').length !== 3) return undefined;
          const { exp } = decodeJwt(token);
          const expired = typeof exp === 'number' && exp < Date.now() / 1000 + offsetSeconds;
          return expired && offsetSeconds > 0 ? { status: 200, body: { active: true, exp } } : undefined;
        },
      },
    );
    const result = await outcomeOf(issuer.target(), 'introspection.inactive-tokens');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/an access token expired by a \d+ s clock shift is introspected active/);
  });

  it('I03 asks for the expired case token with the introspection audience (an audience-restricted endpoint)', async () => {
    // Introspection that shows the caller only tokens for its audience: the expired case's token
    // must be requested for it, seen active, then expired (a clock shift), or the case proves nothing.
    flaw({
      path: '/introspect',
      respond: (request) => {
        const token = tokenOf(request);
        if (token.split('.').length !== 3) return undefined;
        const { aud } = decodeJwt(token);
        return [aud].flat().includes('api://orders') ? undefined : { status: 200, body: { active: false } };
      },
    });
    const base = issuer.target().profile.issuer!;
    const result = await outcomeOf(
      issuer.target({ issuer: { ...base, introspection: { audience: 'api://orders' } } }),
      'introspection.inactive-tokens',
    );
    expect(result.outcome, result.reason).toBe('pass');
    expect(result.reason).toMatch(/an access token expired by a \d+ s clock shift/);
    expect(result.evidence.notes.join(' ')).toMatch(/the token for the expired case was introspected active right after issue/);
  });

  it('I03 does not count the expired case when its token is never seen active (an endpoint that hides it)', async () => {
    // An endpoint that stops showing the caller tokens it has not seen before once a revocation
    // came in (a policy the caller cannot see): I03's control is shown, the expired case's token
    // (asked about after the revoked case) is inactive from the start, which proves nothing about expiry.
    let revoked = false;
    const seen = new Set<string>();
    flaw(
      {
        path: '/revoke',
        request: () => {
          revoked = true;
          return undefined;
        },
      },
      {
        path: '/introspect',
        respond: (request) => {
          const token = tokenOf(request);
          if (token.split('.').length !== 3 || seen.has(token)) return undefined;
          if (!revoked) {
            seen.add(token);
            return undefined;
          }
          return { status: 200, body: { active: false } };
        },
      },
    );
    const result = await outcomeOf(issuer.target(), 'introspection.inactive-tokens');
    expect(result.outcome, result.reason).toBe('pass');
    expect(result.reason).toMatch(/an unknown token/);
    expect(result.reason).not.toMatch(/expired/);
    expect(result.evidence.notes.join(' ')).toMatch(
      /the expired case was not counted: the token issued for it was never seen active/,
    );
  });

  it('I03 passes an expired token that turns inactive (two-second tokens, no flaw)', async () => {
    const expiring = await startFlawedIssuer([], { tokens: { accessTokenTtl: '2s' } });
    try {
      const result = await outcomeOf(expiring.target(), 'introspection.inactive-tokens');
      expect(result.outcome, result.reason).toBe('pass');
      expect(result.reason).toMatch(/an expired access token/);
      expect(result.evidence.notes.join(' ')).toMatch(/introspected active right after issue \(expires_in 2 s\)/);
    } finally {
      await expiring.close();
    }
  });

  it('I04 fails when introspection works without caller authentication', async () => {
    flaw({
      path: '/introspect',
      request: (request, upstream) =>
        request.headers.authorization === basicAuthorization('primary', upstream.secrets.primary)
          ? undefined
          : {
              ...request,
              headers: { ...request.headers, authorization: basicAuthorization('primary', upstream.secrets.primary) },
            },
    });
    const result = await outcomeOf(issuer.target(), 'introspection.caller-auth');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/no client authentication: introspection answered active:true/);
  });

  it('I04 warns on 200 active:false to an unauthenticated caller, and skips a network-protected endpoint', async () => {
    flaw({
      path: '/introspect',
      respond: (request) => (request.headers.authorization ? undefined : { status: 200, body: { active: false } }),
    });
    const result = await outcomeOf(issuer.target(), 'introspection.caller-auth');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/200 active:false instead of refusing/);
    const skipped = await outcomeOf(
      issuer.target({ issuer: { ...issuer.target().profile.issuer!, introspection: { networkProtected: true } } }),
      'introspection.caller-auth',
    );
    expect(skipped.outcome).toBe('skip');
    expect(skipped.reason).toMatch(/network-protected/);
  });

  it('I05 fails when introspection reports another exp than the token', async () => {
    flaw(
      introspection((body) =>
        body.active && body.token_type !== 'refresh_token' ? { ...body, exp: Number(body.exp) + 3600 } : body,
      ),
    );
    const exp = await outcomeOf(issuer.target(), 'introspection.agrees-with-revocation');
    expect(exp.outcome).toBe('fail');
    expect(exp.reason).toMatch(/introspection says exp \d+, the token itself says \d+/);
  });

  it('I05 fails when a revoked refresh token is still introspected active (revoke does nothing)', async () => {
    flaw({ path: '/revoke', status: 200 });
    const result = await outcomeOf(issuer.target(), 'introspection.agrees-with-revocation');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/revoked refresh token \(revocation answered 200\) is still introspected active/);
  });

  it('I05 warns when only access-token revocation is not seen by introspection', async () => {
    flaw({ path: '/revoke', respond: (request) => (tokenOf(request).startsWith('eyJ') ? { status: 200, body: {} } : undefined) });
    const result = await outcomeOf(issuer.target(), 'introspection.agrees-with-revocation');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/yet introspection still calls it active/);
  });

  it('I06 fails when cnf.jkt is not the proof key thumbprint', async () => {
    flaw(introspection((body) => (body.cnf ? { ...body, cnf: { jkt: 'AAAA' } } : body)));
    const result = await outcomeOf(issuer.target(), 'introspection.dpop-binding');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/cnf.jkt is "AAAA", not the proof key's thumbprint/);
    flaws.length = 0;
    flaw(introspection(({ cnf: _cnf, ...body }) => body));
    const missing = await outcomeOf(issuer.target(), 'introspection.dpop-binding');
    expect(missing.outcome).toBe('fail');
    expect(missing.reason).toMatch(/has no cnf.jkt/);
  });

  it('skips with the reason when the issuer has no introspection endpoint, and uses the profile URL when given', async () => {
    flaw({
      path: (path) => path.startsWith('/.well-known/'),
      json: ({ introspection_endpoint: _endpoint, ...body }) => body,
    });
    const skipped = await outcomeOf(issuer.target(), 'introspection.active-token');
    expect(skipped.outcome).toBe('skip');
    expect(skipped.reason).toMatch(/no introspection_endpoint/);
    const configured = await outcomeOf(
      issuer.target({ issuer: { ...issuer.target().profile.issuer!, introspection: { url: `${issuer.url}/introspect` } } }),
      'introspection.active-token',
    );
    expect(configured.outcome, configured.reason).toBe('pass');
  });
});
