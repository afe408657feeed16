/**
 * The issuer suites against a real issuer nobody on this project wrote: panva's oidc-provider
 * (OpenID Certified), configured correctly (test/support/third-party-issuer.ts). A correct
 * third-party server must get no MUST failure and no error; the findings it does get (warn,
 * skip) are listed here and explained, clause by clause, in suites/README.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../harness/results/model.ts';
import { runSelected } from '../support/run-checks.ts';
import {
  introspectedResource,
  jwtResource,
  startThirdPartyIssuer,
  type ThirdPartyIssuer,
} from '../support/third-party-issuer.ts';

const ownSuites = ['revocation', 'introspection', 'token-exchange'];
const otherSuites = ['discovery', 'jwks', 'token-endpoint'];

let issuer: ThirdPartyIssuer;
let results: Map<string, CheckResult>;

beforeAll(async () => {
  issuer = await startThirdPartyIssuer();
  results = await runSelected(issuer.target(), { suites: [...otherSuites, ...ownSuites] });
}, 120_000);
afterAll(() => issuer?.close());

const outcome = (id: string) => {
  const result = results.get(id);
  if (!result) throw new Error(`${id} did not run`);
  return { outcome: result.outcome, reason: result.reason };
};

describe('third-party issuer (oidc-provider)', () => {
  it('gets no MUST failure and no error from any suite run against it', () => {
    const broken = [...results.values()]
      .filter((result) => result.outcome === 'fail' || result.outcome === 'error')
      .map((result) => `${result.id}: ${result.outcome} — ${result.reason}`);
    expect(broken).toEqual([]);
    for (const suite of [...otherSuites, ...ownSuites])
      expect(
        [...results.values()].some((result) => result.suite === suite),
        suite,
      ).toBe(true);
  });

  it('passes revocation V01–V07, its refresh tokens coming from a real Chromium login', () => {
    for (const id of [
      'revocation.refresh-token',
      'revocation.refresh-kills-access',
      'revocation.access-token',
      'revocation.wrong-hint',
      'revocation.client-auth',
      'revocation.cross-client',
    ])
      expect(outcome(id), id).toMatchObject({ outcome: 'pass' });
    // RFC 7009 §2.2.1: it cannot revoke structured (JWT) tokens and says so.
    expect(outcome('revocation.unknown-token')).toMatchObject({
      outcome: 'pass',
      reason: expect.stringMatching(/JWT-shaped token was answered unsupported_token_type/),
    });
    // RFC 6749 §5.2: no Authorization header → 400 is allowed; oidc-provider says invalid_request.
    expect(outcome('revocation.client-auth').reason).toMatch(/no client authentication → HTTP 400 invalid_request/);
    // RFC 7009 §2.1: the other client is told (400), and the token stays active.
    expect(outcome('revocation.cross-client').reason).toMatch(/answered HTTP 400 invalid_request/);
    expect(results.get('revocation.refresh-token')!.evidence.notes.join(' ')).toMatch(/user login in Chromium/);
  });

  it('passes introspection I01–I06 as its resource-server client, for tokens of the introspected resource', () => {
    for (const id of [
      'introspection.active-token',
      'introspection.member-types',
      'introspection.inactive-tokens',
      'introspection.caller-auth',
      'introspection.agrees-with-revocation',
      'introspection.dpop-binding',
    ])
      expect(outcome(id), id).toMatchObject({ outcome: 'pass' });
  });

  it('reports, not fails, active:false to a caller its policy does not let see the token (RFC 7662 §2.2, §4)', async () => {
    // The secondary client introspects the primary client's tokens: oidc-provider's policy
    // (resource server or the token's own client) answers active:false, as the RFC allows.
    const secondary = issuer.target().profile.issuer!.clients!.secondary!;
    const outsider = issuer.target({
      issuer: { ...issuer.target().profile.issuer!, introspection: { audience: introspectedResource, client: secondary } },
    });
    const checks = await runSelected(outsider, { suites: ['introspection'] });
    expect(checks.get('introspection.active-token')).toMatchObject({
      outcome: 'warn',
      reason: expect.stringMatching(/RFC 7662 §2.2 and §4 allow that/),
    });
    // What depends on seeing a live token active is not judged from active:false answers.
    for (const id of ['introspection.member-types', 'introspection.inactive-tokens', 'introspection.agrees-with-revocation'])
      expect(checks.get(id)?.outcome, id).toBe('skip');
    for (const result of checks.values())
      expect(['pass', 'warn', 'skip'], `${result.id}: ${result.reason}`).toContain(result.outcome);
  });

  it('with JWT access tokens at introspection, I01 fails by RFC 7662 §2.3 and the revocation checks judge refresh tokens or skip', async () => {
    // oidc-provider answers 400 unsupported_token_type to introspection of a JWT access token;
    // §2.3 has an authorized query answered with an introspection response, so I01 fails it
    // (that is why the correct profile above introspects tokens of the opaque resource).
    const base = issuer.target().profile.issuer!;
    const jwtOnly = issuer.target({
      issuer: {
        ...base,
        introspection: undefined,
        clients: { ...base.clients!, primary: { ...base.clients!.primary, tokenParams: { resource: jwtResource } } },
      },
    });
    const checks = await runSelected(jwtOnly, { suites: ['revocation', 'introspection'] });
    expect(checks.get('introspection.active-token')).toMatchObject({
      outcome: 'fail',
      reason: expect.stringMatching(/400 unsupported_token_type, a JWT access token.*RFC 7662 §2.3/),
    });
    for (const result of checks.values())
      if (result.suite === 'revocation') expect(['pass', 'skip'], `${result.id}: ${result.reason}`).toContain(result.outcome);
  });

  it('skips token exchange with the reason: oidc-provider offers no RFC 8693 grant', () => {
    for (const result of [...results.values()].filter((check) => check.suite === 'token-exchange'))
      expect(result.outcome, result.id).toBe('skip');
    expect(outcome('token-exchange.valid-exchange').reason).toMatch(
      /grant_types_supported does not list urn:ietf:params:oauth:grant-type:token-exchange/,
    );
  });

  it('reports loopback http as a SHOULD finding of discovery; its ID-token-only implicit grant is no finding', () => {
    expect(outcome('discovery.issuer-form')).toMatchObject({ outcome: 'warn', reason: expect.stringMatching(/loopback only/) });
    // RFC 9700 §2.1.2 is about access tokens in the authorization response; none of its response types issues one.
    expect(outcome('discovery.no-legacy-grants')).toMatchObject({
      outcome: 'pass',
      reason: expect.stringMatching(/lists implicit, but no response type puts an access token/),
    });
  });
});
