/**
 * The rs-metadata suite (RFC 9728) against the reference resource server (passes) and the same
 * server with wrong or missing protected resource metadata, one flaw at a time.
 */
import { describe, expect, it } from 'vitest';
import { authorizationOf, flawedRsPerTest, jsonAnswer, type RsFlaw, rewriteJson } from '../support/flawed-rs-errors.ts';
import { outcomeOf, runSelected } from '../support/run-checks.ts';

const metadataPath = '/.well-known/oauth-protected-resource/protected';
const { withFlaw, testIssuer } = flawedRsPerTest();

/** Rewrites the resource_metadata parameter of every challenge (undefined: drops it). */
const challengeNames =
  (url: (rs: string) => string | undefined, origin: () => string): RsFlaw['response'] =>
  (answer) => {
    const header = answer.headers['www-authenticate'];
    if (typeof header !== 'string') return answer;
    const target = url(origin());
    const without = header.replace(/, resource_metadata="[^"]*"/, '');
    return {
      ...answer,
      headers: { ...answer.headers, 'www-authenticate': target ? `${without}, resource_metadata="${target}"` : without },
    };
  };

describe('rs-metadata suite', () => {
  it('passes against the reference resource server; M05 skips when DPoP is not required', async () => {
    const rs = await withFlaw();
    const results = await runSelected(rs.target(), { suites: ['rs-metadata'] });
    expect(Object.fromEntries([...results].map(([id, result]) => [id, result.outcome]))).toEqual({
      'rs-metadata.document': 'pass',
      'rs-metadata.authorization-servers': 'pass',
      'rs-metadata.challenge-parameter': 'pass',
      'rs-metadata.bearer-methods': 'pass',
      'rs-metadata.dpop-required': 'skip',
    });
    expect(results.get('rs-metadata.document')!.reason).toBe(
      `${rs.url}${metadataPath} serves the metadata of ${rs.url}/protected`,
    );
  });

  it('skips the suite, saying why, when the RS publishes no metadata', async () => {
    const rs = await withFlaw({ config: { resourceMetadata: undefined } });
    const results = await runSelected(rs.target(), { suites: ['rs-metadata'] });
    for (const id of [
      'rs-metadata.document',
      'rs-metadata.authorization-servers',
      'rs-metadata.challenge-parameter',
      'rs-metadata.bearer-methods',
      'rs-metadata.dpop-required',
    ]) {
      expect(results.get(id)!.outcome, id).toBe('skip');
      expect(results.get(id)!.reason).toMatch(/publishes no protected resource metadata .* carries no resource_metadata/);
    }
  });

  it('M01 fails for a resource that is not the identifier, or a challenge naming a document that is not there', async () => {
    const wrong = await withFlaw({
      response: rewriteJson(metadataPath, (body) => ({ ...body, resource: 'https://api.example.com/' })),
    });
    const failed = await outcomeOf(wrong.target(), 'rs-metadata.document');
    expect(failed.outcome).toBe('fail');
    expect(failed.reason).toMatch(/resource is "https:\/\/api.example.com\/", not identical to/);
    let origin = '';
    const dead = await withFlaw({
      config: { resourceMetadata: undefined },
      response: challengeNames(
        (base) => `${base}/nowhere`,
        () => origin,
      ),
    });
    origin = dead.url;
    const deadResult = await outcomeOf(dead.target(), 'rs-metadata.document');
    expect(deadResult.outcome).toBe('fail');
    expect(deadResult.reason).toMatch(/names .*\/nowhere as the metadata, but no metadata document answers/);
  });

  it('M02 fails when a listed authorization server does not answer discovery', async () => {
    const rs = await withFlaw({
      response: rewriteJson(metadataPath, (body) => ({
        ...body,
        authorization_servers: [testIssuer().url, 'http://127.0.0.1:1'],
      })),
    });
    const result = await outcomeOf(rs.target(), 'rs-metadata.authorization-servers');
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/http:\/\/127.0.0.1:1 \(/);
    const other = await withFlaw({ config: { resourceMetadata: { authorizationServers: [`${testIssuer().url}/tenant`] } } });
    expect((await outcomeOf(other.target(), 'rs-metadata.authorization-servers')).outcome).toBe('fail');
  });

  it('M03 passes with a note without resource_metadata in the challenge (RFC 9728 §5: MAY), fails when it names another resource', async () => {
    let origin = '';
    const dropped = await withFlaw({
      response: challengeNames(
        () => undefined,
        () => origin,
      ),
    });
    origin = dropped.url;
    const optional = await outcomeOf(dropped.target(), 'rs-metadata.challenge-parameter');
    expect(optional.outcome).toBe('pass');
    expect(optional.reason).toMatch(/names no resource_metadata, which RFC 9728 §5 leaves to the resource \(MAY\)/);
    expect(optional.evidence.notes.join('\n')).toMatch(/carries no resource_metadata parameter; RFC 9728 §5 makes it optional/);
    const otherPath = '/.well-known/oauth-protected-resource/other';
    const elsewhere = await withFlaw({
      request: (request) => (request.url === otherPath ? jsonAnswer(200, { resource: `${origin}/other` }) : request),
      response: challengeNames(
        (base) => `${base}${otherPath}`,
        () => origin,
      ),
    });
    origin = elsewhere.url;
    const failed = await outcomeOf(elsewhere.target(), 'rs-metadata.challenge-parameter');
    expect(failed.outcome).toBe('fail');
    expect(failed.reason).toMatch(/not .*\/protected, the URL the request went to/);
  });

  it('M01 passes and M03 warns when the challenge names the metadata of a path prefix (the origin)', async () => {
    let origin = '';
    const rootPath = '/.well-known/oauth-protected-resource';
    const prefix = await withFlaw({
      config: { resourceMetadata: undefined },
      request: (request) =>
        request.url === rootPath ? jsonAnswer(200, { resource: origin, authorization_servers: [testIssuer().url] }) : request,
      response: challengeNames(
        (base) => `${base}${rootPath}`,
        () => origin,
      ),
    });
    origin = prefix.url;
    // The origin's metadata is found at the origin's well-known URL first: identical to the origin, M01 passes.
    expect((await outcomeOf(prefix.target(), 'rs-metadata.document')).outcome).toBe('pass');
    const warned = await outcomeOf(prefix.target(), 'rs-metadata.challenge-parameter');
    expect(warned.outcome).toBe('warn');
    expect(warned.reason).toMatch(/a prefix of .*\/protected; RFC 9728 §3.3 asks for the URL the request went to/);
  });

  it('M04 fails when bearer_methods_supported misdescribes the query method', async () => {
    const hidden = await withFlaw({
      config: { allowQueryToken: true },
      response: rewriteJson(metadataPath, (body) => ({ ...body, bearer_methods_supported: ['header'] })),
    });
    const failed = await outcomeOf(hidden.target(), 'rs-metadata.bearer-methods');
    expect(failed.outcome).toBe('fail');
    expect(failed.reason).toMatch(/"query" is not listed, yet a valid token in the access_token query parameter was accepted/);
    const promised = await withFlaw({
      response: rewriteJson(metadataPath, (body) => ({ ...body, bearer_methods_supported: ['header', 'query'] })),
    });
    expect((await outcomeOf(promised.target(), 'rs-metadata.bearer-methods')).reason).toMatch(/"query" is listed but/);
  });

  it('M05 passes when DPoP is required and enforced, fails when the metadata says so and bearer tokens still work', async () => {
    const strict = await withFlaw({ config: { dpop: { required: true } } });
    const passed = await outcomeOf(strict.target(), 'rs-metadata.dpop-required');
    expect(passed.outcome).toBe('pass');
    expect(passed.reason).toMatch(
      /bearer token of the positive control \(S01\) was refused, .* while a valid DPoP-bound token \(typ at\+jwt\) with a valid proof was accepted/,
    );
    const lax = await withFlaw({
      response: rewriteJson(metadataPath, (body) => ({ ...body, dpop_bound_access_tokens_required: true })),
    });
    const failed = await outcomeOf(lax.target(), 'rs-metadata.dpop-required');
    expect(failed.outcome).toBe('fail');
    expect(failed.reason).toMatch(/requires DPoP-bound tokens, yet a valid bearer token/);
  });

  it('M05 is error, not a pass, when the RS refuses every valid token, bearer and DPoP-bound alike', async () => {
    const closed = await withFlaw({
      config: { dpop: { required: true } },
      request: (request) =>
        authorizationOf(request) ? jsonAnswer(401, {}, { 'www-authenticate': 'DPoP error="invalid_token"' }) : request,
    });
    const result = await outcomeOf(closed.target(), 'rs-metadata.dpop-required');
    expect(result.outcome).toBe('error');
    expect(result.reason).toMatch(
      /positive control S01 .* failed.*nothing this RS accepts could be examined.*DPoP-bound token with a valid proof was refused too \(typ at\+jwt: HTTP 401, typ JWT: HTTP 401\)/,
    );
  });
});
