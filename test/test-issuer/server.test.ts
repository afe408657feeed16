import { performance } from 'node:perf_hooks';
import { createLocalJWKSet, type JWK, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningTestIssuer, startHarnessIssuer } from '../../harness/test-issuer/server.ts';

let issuer: RunningTestIssuer;
beforeAll(async () => {
  issuer = await startHarnessIssuer({ audience: 'api://orders' });
});
afterAll(() => issuer.close());
afterEach(() => issuer.setJwksMode({ kind: 'normal' }));

async function fetchJwks(): Promise<{ keys: JWK[] }> {
  const response = await fetch(issuer.jwksUri);
  expect(response.status).toBe(200);
  return (await response.json()) as { keys: JWK[] };
}

describe('test issuer: discovery and JWKS', () => {
  it('serves both metadata documents naming its issuer and JWKS', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const response = await fetch(`${issuer.url}${path}`);
      expect(response.status).toBe(200);
      const metadata = (await response.json()) as Record<string, unknown>;
      expect(metadata.issuer).toBe(issuer.url);
      expect(metadata.jwks_uri).toBe(issuer.jwksUri);
    }
    expect(issuer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${issuer.url}/token`)).status).toBe(404);
    expect((await fetch(issuer.jwksUri, { method: 'POST' })).status).toBe(405);
  });

  it('publishes an RS256 key, an ES256 key and a use:enc key, public members only', async () => {
    const { keys } = await fetchJwks();
    expect(keys.map((key) => [key.kty, key.alg, key.use])).toEqual([
      ['RSA', 'RS256', 'sig'],
      ['EC', 'ES256', 'sig'],
      ['RSA', 'RSA-OAEP-256', 'enc'],
    ]);
    expect(new Set(keys.map((key) => key.kid)).size).toBe(3);
    for (const key of keys) for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(member);
  });

  it('counts JWKS fetches, in total and since a mark', async () => {
    const before = issuer.jwksFetches.count();
    const mark = issuer.jwksFetches.mark();
    await fetchJwks();
    await fetchJwks();
    await fetch(issuer.discoveryUri);
    expect(issuer.jwksFetches.count()).toBe(before + 2);
    expect(issuer.jwksFetches.countSince(mark)).toBe(2);
    const [first, second] = issuer.jwksFetches.since(mark);
    expect(first?.path).toBe('/jwks');
    expect(second!.monotonicMs).toBeGreaterThanOrEqual(first!.monotonicMs);
    expect(issuer.jwksFetches.maxWithin(60_000, mark)).toBe(2);
    expect(issuer.requests.count()).toBeGreaterThanOrEqual(issuer.jwksFetches.count() + 1);
  });

  it('rotate publishes a new key that the forger then signs with; removeKey unpublishes it', async () => {
    const oldKid = issuer.keys.current('RS256').kid;
    const newKid = await issuer.rotate('RS256');
    expect(newKid).not.toBe(oldKid);
    let kids = (await fetchJwks()).keys.map((key) => key.kid);
    expect(kids).toContain(oldKid);
    expect(kids).toContain(newKid);
    const token = issuer.forger.accessToken();
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid).toBe(newKid);

    const removed = issuer.removeKey(oldKid);
    kids = (await fetchJwks()).keys.map((key) => key.kid);
    expect(kids).not.toContain(oldKid);
    expect(kids).toContain(newKid);
    // The forger still signs with the removed key, and the served JWKS no longer verifies it.
    const orphan = issuer.forger.accessToken({ key: removed });
    const served = createLocalJWKSet(await fetchJwks());
    await expect(jwtVerify(orphan, served)).rejects.toThrow(/no applicable key/i);
    await expect(jwtVerify(issuer.forger.accessToken(), served)).resolves.toBeTruthy();
    expect(() => issuer.removeKey(oldKid)).toThrow(/no published key/);
  });

  it('addKey publishes an encryption key or a key advertised for the wrong alg', async () => {
    const enc = await issuer.addKey({ alg: 'ES256', use: 'enc' });
    const odd = await issuer.addKey({ alg: 'RS256', advertisedAlg: 'ES256' });
    const keys = (await fetchJwks()).keys;
    expect(keys.find((key) => key.kid === enc.kid)).toMatchObject({ kty: 'EC', use: 'enc', alg: 'ECDH-ES' });
    expect(keys.find((key) => key.kid === odd.kid)).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'ES256' });
    const untrusted = await issuer.untrustedKey('RS256');
    expect(keys.map((key) => key.kid)).not.toContain(untrusted.kid);
    expect(await issuer.untrustedKey('RS256')).toBe(untrusted);
    issuer.removeKey(enc.kid);
    issuer.removeKey(odd.kid);
  });
});

describe('test issuer: JWKS modes', () => {
  it('empty serves a key set with no keys', async () => {
    issuer.setJwksMode({ kind: 'empty' });
    expect(await fetchJwks()).toEqual({ keys: [] });
  });

  it('malformed serves 200 JSON-typed text that does not parse', async () => {
    issuer.setJwksMode({ kind: 'malformed' });
    const response = await fetch(issuer.jwksUri);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const text = await response.text();
    expect(text.startsWith('{"keys":[')).toBe(true);
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it('truncated announces the full length and cuts the body short', async () => {
    issuer.setJwksMode({ kind: 'truncated' });
    const full = Buffer.byteLength(JSON.stringify(issuer.keys.jwks()));
    const response = await fetch(issuer.jwksUri);
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBe(full);
    await expect(response.text()).rejects.toThrow();
  });

  it('status answers with the error status', async () => {
    issuer.setJwksMode({ kind: 'status' });
    expect((await fetch(issuer.jwksUri)).status).toBe(500);
    issuer.setJwksMode({ kind: 'status', status: 503 });
    expect((await fetch(issuer.jwksUri)).status).toBe(503);
  });

  it('slow sends the headers at once and holds the body back for the delay', async () => {
    const delayMs = 300;
    issuer.setJwksMode({ kind: 'slow', delayMs });
    const started = performance.now();
    const response = await fetch(issuer.jwksUri);
    expect(response.status).toBe(200);
    // Headers are in; the body is still held by the issuer's timer.
    expect(issuer.jwksPending()).toBe(1);
    const body = (await response.json()) as { keys: JWK[] };
    // A lower bound only (timers never fire before their delay, give or take timer granularity).
    expect(performance.now() - started).toBeGreaterThanOrEqual(delayMs - 5);
    expect(body.keys.length).toBeGreaterThan(0);
    expect(issuer.jwksPending()).toBe(0);
    expect(() => issuer.setJwksMode({ kind: 'slow', delayMs: -1 })).toThrow(RangeError);
  });

  it('hang holds requests until the mode changes, then answers them in the new mode', async () => {
    issuer.setJwksMode({ kind: 'hang' });
    const mark = issuer.jwksFetches.mark();
    let settled = false;
    const pending = fetch(issuer.jwksUri).then((response) => {
      settled = true;
      return response;
    });
    await issuer.jwksFetches.waitForCount(1, { mark, timeoutMs: 5_000 });
    // Another request completes a full round trip meanwhile; the JWKS request is still held.
    expect((await fetch(issuer.discoveryUri)).status).toBe(200);
    expect(settled).toBe(false);
    expect(issuer.jwksPending()).toBe(1);
    issuer.setJwksMode({ kind: 'empty' });
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ keys: [] });
    expect(issuer.jwksPending()).toBe(0);
  });

  it('close drops hung requests instead of waiting for them', async () => {
    const own = await startHarnessIssuer({ audience: 'api://orders', algs: ['ES256'], encryptionKey: false });
    own.setJwksMode({ kind: 'hang' });
    const pending = fetch(own.jwksUri);
    await own.jwksFetches.waitForCount(1, { timeoutMs: 5_000 });
    await own.close();
    await expect(pending).rejects.toThrow();
  });
});
