/**
 * The discovery suite against the real reference issuer (passes) and against the same issuer
 * with one deliberate flaw at a time (the guarding check fails, or warns for SHOULD), plus the
 * empty case of every check: a document that gives a check nothing to examine never passes it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { wellKnown } from '../../harness/oauth/well-known.ts';
import { profileSchema } from '../../harness/profile/schema.ts';
import type { Target } from '../../harness/runner/target.ts';
import { type Flaw, flawedIssuerPerTest } from '../support/flawed-issuer.ts';
import { type HostileServer, startHostileServer } from '../support/hostile-server.ts';
import { outcomeOf, runSelected } from '../support/run-checks.ts';

const { withFlaw } = flawedIssuerPerTest();
const isMetadataPath = (path: string) => path === wellKnown.openid || path === wellKnown.oauth;

const metadata = (change: (body: Record<string, unknown>) => void): Flaw => ({
  path: isMetadataPath,
  json: (body) => {
    change(body);
    return body;
  },
});

/** Only the members listed stay (issuer kept so D02 holds): the empty cases. */
const only = (...members: string[]): Flaw =>
  metadata((body) => {
    for (const key of Object.keys(body)) if (key !== 'issuer' && !members.includes(key)) delete body[key];
  });

const hostile: HostileServer[] = [];
afterAll(() => Promise.all(hostile.map((server) => server.close())));
async function hostileTarget(mode: Parameters<typeof startHostileServer>[0]): Promise<{ server: HostileServer; target: Target }> {
  const server = await startHostileServer(mode);
  hostile.push(server);
  const profile = profileSchema.parse({ name: `hostile ${mode}`, issuer: { url: server.url }, timeouts: { request: '2s' } });
  return { server, target: { name: profile.name, profile, baseDir: process.cwd() } };
}

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
    expect(results.get('discovery.well-known')!.evidence.exchanges.length).toBe(2);
    // The well-known documents are asked once per run: the other checks point at D01's evidence.
    expect(results.get('discovery.issuer-match')!.evidence.exchanges).toHaveLength(0);
    expect(results.get('discovery.issuer-match')!.evidence.notes.join(' ')).toMatch(/evidence of discovery\.well-known/);
  });

  it('D01 fails when neither well-known URL serves JSON', async () => {
    const issuer = await withFlaw({ path: isMetadataPath, status: 404 });
    const result = await outcomeOf(issuer.target(), 'discovery.well-known');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/neither well-known URL/);
    expect(result.reason).toMatch(/HTTP 404/);
  });

  it('D01 fails, saying so, on a 200 that is not JSON; the other checks are errors, none passes', async () => {
    const { server, target } = await hostileTarget('invalid-json');
    const results = await runSelected(target, { suites: ['discovery'] });
    const d01 = results.get('discovery.well-known')!;
    expect(d01.outcome).toBe('fail');
    expect(d01.reason).toMatch(/HTTP 200 but not JSON/);
    for (const [id, result] of results) {
      if (id === 'discovery.well-known') continue;
      expect({ id, outcome: result.outcome }).toEqual({ id, outcome: 'error' });
      expect(result.reason).toMatch(/no usable discovery document/);
    }
    expect(server.requests(wellKnown.openid)).toBe(1);
  });

  it('D01 fails on a JSON document that is not an object', async () => {
    const issuer = await withFlaw({ path: isMetadataPath, json: () => ['issuer'] });
    const result = await outcomeOf(issuer.target(), 'discovery.well-known');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/the JSON is an array, not an object/);
  });

  it('D01 fails on a JSON object served as another content type (OIDC Discovery §4.2: application/json)', async () => {
    const issuer = await withFlaw({
      path: isMetadataPath,
      answer: (answer) => ({ ...answer, headers: { ...answer.headers, 'content-type': 'text/html; charset=utf-8' } }),
    });
    const result = await outcomeOf(issuer.target(), 'discovery.well-known');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/a JSON object served as content-type text\/html; charset=utf-8, not application\/json/);
  });

  it('D01 passes when only the RFC 8414 URL serves the document', async () => {
    const issuer = await withFlaw({ path: wellKnown.openid, status: 404 });
    const result = await outcomeOf(issuer.target(), 'discovery.well-known');
    expect(result.outcome).toBe('pass');
    expect(result.reason).toMatch(/oauth-authorization-server/);
  });

  it('D02 fails when the advertised issuer differs (trailing slash) or is missing', async () => {
    const issuer = await withFlaw(metadata((body) => (body.issuer = `${body.issuer}/`)));
    const result = await outcomeOf(issuer.target(), 'discovery.issuer-match');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/tokens would fail iss validation/);
    const missing = await withFlaw(metadata((body) => delete body.issuer));
    expect((await outcomeOf(missing.target(), 'discovery.issuer-match')).reason).toMatch(/has no issuer member/);
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

  it('D03 warns on an issuer with a query, and judges the configured issuer when discovery names none', async () => {
    const query = await withFlaw(metadata((body) => (body.issuer = `${body.issuer}?tenant=a`)));
    expect((await outcomeOf(query.target(), 'discovery.issuer-form')).reason).toMatch(/has a query or fragment/);
    const bare = await withFlaw(only());
    const result = await outcomeOf(bare.target(), 'discovery.issuer-form');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/loopback only.*: issuer$/);
  });

  it('D04 fails when a required member is missing', async () => {
    const issuer = await withFlaw(metadata((body) => delete body.jwks_uri));
    const result = await outcomeOf(issuer.target(), 'discovery.required-members');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/lacks jwks_uri \(required by OpenID Connect Discovery §3\)/);
  });

  it('D04 holds an RFC 8414 document to RFC 8414: jwks_uri is optional there, response_types_supported is not', async () => {
    const noJwks = await withFlaw(
      { path: wellKnown.openid, status: 404 },
      metadata((body) => delete body.jwks_uri),
    );
    const passed = await outcomeOf(noJwks.target(), 'discovery.required-members');
    expect(passed.outcome).toBe('pass');
    expect(passed.reason).toMatch(/RFC 8414 §2/);
    const noResponseTypes = await withFlaw(
      { path: wellKnown.openid, status: 404 },
      metadata((body) => delete body.response_types_supported),
    );
    const failed = await outcomeOf(noResponseTypes.target(), 'discovery.required-members');
    expect(failed.outcome).toBe('fail');
    expect(failed.reason).toMatch(/lacks response_types_supported \(required by RFC 8414 §2\)/);
  });

  it('D04 does not ask a client-credentials-only RFC 8414 server for an authorization endpoint', async () => {
    const issuer = await withFlaw(
      { path: wellKnown.openid, status: 404 },
      metadata((body) => {
        body.grant_types_supported = ['client_credentials'];
        delete body.authorization_endpoint;
        delete body.response_types_supported;
      }),
    );
    const result = await outcomeOf(issuer.target(), 'discovery.required-members');
    expect(result.outcome).toBe('pass');
    expect(result.reason).toMatch(/\(issuer, token_endpoint\)/);
  });

  describe('D05: where none is forbidden', () => {
    const withList = (member: string, values: unknown) => metadata((body) => (body[member] = values));

    for (const member of [
      'token_endpoint_auth_signing_alg_values_supported',
      'revocation_endpoint_auth_signing_alg_values_supported',
      'introspection_endpoint_auth_signing_alg_values_supported',
    ]) {
      it(`fails on none in ${member} (RFC 8414 §2: MUST NOT be used)`, async () => {
        const issuer = await withFlaw(withList(member, ['RS256', 'none']));
        const result = await outcomeOf(issuer.target(), 'discovery.no-alg-none');
        expect(result.outcome).toBe('fail');
        expect(result.reason).toContain(`'none' is advertised in ${member}`);
      });
    }

    it('warns on none in id_token_signing_alg_values_supported (allowed only off the front channel)', async () => {
      const issuer = await withFlaw(withList('id_token_signing_alg_values_supported', ['RS256', 'none']));
      const result = await outcomeOf(issuer.target(), 'discovery.no-alg-none');
      expect(result.outcome).toBe('warn');
      expect(result.reason).toMatch(/id_token_signing_alg_values_supported: allowed only/);
    });

    for (const member of ['userinfo_signing_alg_values_supported', 'request_object_signing_alg_values_supported']) {
      it(`passes with none in ${member} (OIDC Discovery §3 allows it)`, async () => {
        const issuer = await withFlaw(withList(member, ['none', 'RS256']));
        const result = await outcomeOf(issuer.target(), 'discovery.no-alg-none');
        expect(result.outcome).toBe('pass');
        expect(result.evidence.notes.join(' ')).toContain(`'none' in ${member} is allowed`);
      });
    }

    it('fails when a client-authentication list is not an array', async () => {
      const issuer = await withFlaw(withList('token_endpoint_auth_signing_alg_values_supported', 'none'));
      const result = await outcomeOf(issuer.target(), 'discovery.no-alg-none');
      expect(result.outcome).toBe('fail');
      expect(result.reason).toMatch(/not a JSON array/);
    });

    it('says what it examined when no client-authentication list is advertised', async () => {
      const issuer = await withFlaw(only('id_token_signing_alg_values_supported', 'userinfo_signing_alg_values_supported'));
      const result = await outcomeOf(issuer.target(), 'discovery.no-alg-none');
      expect(result.outcome).toBe('pass');
      expect(result.reason).toMatch(/^no \*_endpoint_auth_signing_alg_values_supported advertised; none of the 1 list/);
    });

    it('is skipped when no list where none is restricted is advertised', async () => {
      const issuer = await withFlaw(only('userinfo_signing_alg_values_supported'));
      const result = await outcomeOf(issuer.target(), 'discovery.no-alg-none');
      expect(result.outcome).toBe('skip');
      expect(result.reason).toMatch(/no list where none is restricted/);
    });
  });

  it('D06 warns when plain PKCE is advertised', async () => {
    const issuer = await withFlaw(metadata((body) => (body.code_challenge_methods_supported = ['S256', 'plain'])));
    const result = await outcomeOf(issuer.target(), 'discovery.pkce-s256');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/'plain' is advertised/);
  });

  it('D06 warns when the methods are not advertised, and is skipped without an authorization endpoint', async () => {
    const silent = await withFlaw(metadata((body) => delete body.code_challenge_methods_supported));
    expect((await outcomeOf(silent.target(), 'discovery.pkce-s256')).reason).toMatch(/is not advertised/);
    const machineOnly = await withFlaw(only('token_endpoint', 'code_challenge_methods_supported'));
    const result = await outcomeOf(machineOnly.target(), 'discovery.pkce-s256');
    expect(result.outcome).toBe('skip');
    expect(result.reason).toMatch(/no authorization_endpoint/);
  });

  it('D07 warns when the password grant is offered', async () => {
    const issuer = await withFlaw(metadata((body) => (body.grant_types_supported = ['authorization_code', 'password'])));
    const result = await outcomeOf(issuer.target(), 'discovery.no-legacy-grants');
    expect(result.outcome).toBe('warn');
    expect(result.reason).toMatch(/"password"/);
  });

  it('D07 notes, without a finding, an implicit grant whose response types issue no access token (OIDC id_token flows)', async () => {
    const idTokenOnly = await withFlaw(
      metadata((body) => {
        body.grant_types_supported = ['implicit', 'authorization_code'];
        body.response_types_supported = ['code', 'id_token', 'code id_token'];
      }),
    );
    const result = await outcomeOf(idTokenOnly.target(), 'discovery.no-legacy-grants');
    expect(result.outcome).toBe('pass');
    expect(result.reason).toMatch(/lists implicit, but no response type puts an access token/);
    const bareGrant = await withFlaw(
      metadata((body) => {
        delete body.response_types_supported;
        body.grant_types_supported = ['implicit'];
      }),
    );
    expect((await outcomeOf(bareGrant.target(), 'discovery.no-legacy-grants')).outcome).toBe('warn');
  });

  it('D07 warns on a token response type, and is skipped when neither list is advertised', async () => {
    const implicit = await withFlaw(metadata((body) => (body.response_types_supported = ['code', 'id_token token'])));
    expect((await outcomeOf(implicit.target(), 'discovery.no-legacy-grants')).reason).toMatch(/"id_token token"/);
    const bare = await withFlaw(only('token_endpoint'));
    const result = await outcomeOf(bare.target(), 'discovery.no-legacy-grants');
    expect(result.outcome).toBe('skip');
    expect(result.reason).toMatch(/neither grant_types_supported nor response_types_supported/);
  });

  it('D08 fails when an advertised endpoint does not exist', async () => {
    const issuer = await withFlaw(metadata((body) => (body.revocation_endpoint = `${String(body.issuer)}/no-such-revoke`)));
    const result = await outcomeOf(issuer.target(), 'discovery.endpoints-answer');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/revocation_endpoint answered HTTP 404/);
  });

  it('D08 is skipped when no endpoint is advertised', async () => {
    const issuer = await withFlaw(only('authorization_endpoint'));
    const result = await outcomeOf(issuer.target(), 'discovery.endpoints-answer');
    expect(result.outcome).toBe('skip');
    expect(result.reason).toMatch(/no endpoint to probe/);
  });
});
