/**
 * The discovery suite against the real reference issuer (passes) and against the same issuer
 * with one deliberate flaw at a time (the guarding check fails, or warns for SHOULD).
 */
import { describe, expect, it } from 'vitest';
import { type Flaw, flawedIssuerPerTest } from '../support/flawed-issuer.ts';
import { outcomeOf, runSelected } from '../support/run-checks.ts';

const _wellKnown = '/.well-known/openid-configuration';
const { withFlaw } = flawedIssuerPerTest();

const metadata = (change: (body: Record<string, unknown>) => void): Flaw => ({
  path: (path) => path.startsWith('/.well-known/'),
  json: (body) => {
    change(body);
    return body;
  },
});

describe('discovery suite', () => {
  it('passes against the reference issuer (D03 warns only because the stack is http on loopback)', async () => {
    const issuer = await withFlaw();
    const results = await runSelected(issuer.target(), { suites: ['discovery'] });
    const outcomes = Object.fromEntries([...results].map(([id, result]) => [id, result.outcome]));
    expect(outcomes).toEqual({
      'discovery.well-known': 'pass',
      'discovery.issuer-match': 'pass',
      'discovery.issuer-form': 'warn',
      'discovery.required-members': 'pass',
      'discovery.no-alg-none': 'pass',
      'discovery.pkce-s256': 'pass',
      'discovery.no-legacy-grants': 'pass',
      'discovery.endpoints-answer': 'pass',
    });
    expect(results.get('discovery.issuer-form')!.reason).toMatch(/loopback only/);
    expect(results.get('discovery.well-known')!.evidence.exchanges.length).toBeGreaterThan(0);
  });

  it('D01 fails when neither well-known URL serves JSON', async () => {
    const issuer = await withFlaw({ path: (path) => path.startsWith('/.well-known/'), status: 404 });
    const result = await outcomeOf(issuer.target(), 'discovery.well-known');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/neither well-known URL/);
  });

  it('D02 fails when the advertised issuer differs (trailing slash)', async () => {
    const issuer = await withFlaw(metadata((body) => (body.issuer = `${body.issuer}/`)));
    const result = await outcomeOf(issuer.target(), 'discovery.issuer-match');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/tokens would fail iss validation/);
  });

  it('D03 passes with https endpoints and warns on plain http to a non-loopback host', async () => {
    const toHttps = metadata((body) => {
      for (const [key, value] of Object.entries(body)) {
        if (typeof value === 'string') body[key] = value.replace('http://', 'https://');
      }
    });
    const https = await withFlaw(toHttps);
    expect((await outcomeOf(https.target(), 'discovery.issuer-form')).outcome).toBe('pass');
    const remote = await withFlaw(metadata((body) => (body.token_endpoint = 'http://auth.example.com/token')));
    const result = await outcomeOf(remote.target(), 'discovery.issuer-form');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/non-loopback host: token_endpoint/);
  });

  it('D04 fails when a required member is missing', async () => {
    const issuer = await withFlaw(metadata((body) => delete body.jwks_uri));
    const result = await outcomeOf(issuer.target(), 'discovery.required-members');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/lacks jwks_uri/);
  });

  it("D05 fails when 'none' is advertised as a signing alg", async () => {
    const issuer = await withFlaw(metadata((body) => (body.id_token_signing_alg_values_supported = ['RS256', 'none'])));
    const result = await outcomeOf(issuer.target(), 'discovery.no-alg-none');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/id_token_signing_alg_values_supported/);
  });

  it('D06 warns when plain PKCE is advertised', async () => {
    const issuer = await withFlaw(metadata((body) => (body.code_challenge_methods_supported = ['S256', 'plain'])));
    const result = await outcomeOf(issuer.target(), 'discovery.pkce-s256');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/'plain' is advertised/);
  });

  it('D07 warns when the password grant is offered', async () => {
    const issuer = await withFlaw(metadata((body) => (body.grant_types_supported = ['authorization_code', 'password'])));
    const result = await outcomeOf(issuer.target(), 'discovery.no-legacy-grants');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/"password"/);
  });

  it('D08 fails when an advertised endpoint does not exist', async () => {
    const issuer = await withFlaw(metadata((body) => (body.revocation_endpoint = `${String(body.issuer)}/no-such-revoke`)));
    const result = await outcomeOf(issuer.target(), 'discovery.endpoints-answer');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/revocation_endpoint answered HTTP 404/);
  });
});
