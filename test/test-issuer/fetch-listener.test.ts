import { X509Certificate } from 'node:crypto';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FetchListener, startFetchListener } from '../../harness/test-issuer/fetch-listener.ts';
import { type AttackerKey, createAttackerKey } from '../../harness/test-issuer/keys.ts';

let attacker: AttackerKey;
let listener: FetchListener;
const impersonated = ['trusted-kid-1'];
beforeAll(async () => {
  attacker = await createAttackerKey();
  listener = await startFetchListener({ host: '127.0.0.1', attacker, impersonatedKids: () => impersonated });
});
afterAll(() => listener.close());

describe('fetch listener (jku / x5u target)', () => {
  it('records every request with method, path and time', async () => {
    const mark = listener.mark();
    expect(listener.hitsSince(mark)).toEqual([]);
    const before = Date.now();
    await fetch(listener.url('/jku/one.json'));
    await fetch(listener.url('x5u/two.pem?x=1'), { method: 'POST', body: 'ignored' });
    const hits = listener.hitsSince(mark);
    expect(hits.map((hit) => [hit.method, hit.path])).toEqual([
      ['GET', '/jku/one.json'],
      ['POST', '/x5u/two.pem?x=1'],
    ]);
    expect(hits[0]!.at).toBeGreaterThanOrEqual(before);
    expect(listener.hits().length).toBeGreaterThanOrEqual(2);
  });

  it('answers a JWKS with the attacker key under its own and the impersonated kids', async () => {
    const response = await fetch(listener.url('/jku/attacker.json'));
    expect(response.headers.get('content-type')).toBe('application/json');
    const { keys } = (await response.json()) as { keys: JWK[] };
    expect(keys.map((key) => key.kid)).toEqual([attacker.kid, 'trusted-kid-1']);
    for (const key of keys) expect(key.n).toBe(attacker.publicJwk.n);
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('answers .pem paths with the attacker certificate', async () => {
    const response = await fetch(listener.url('/x5u/attacker.pem'));
    expect(response.headers.get('content-type')).toBe('application/pem-certificate-chain');
    const certificate = new X509Certificate(await response.text());
    expect(certificate.publicKey.export({ format: 'jwk' }).n).toBe(attacker.publicJwk.n);
    expect(Buffer.from(attacker.certificateBase64Der, 'base64')).toEqual(certificate.raw);
  });

  it('url() builds addresses on the listener', () => {
    expect(listener.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(listener.url('/a')).toBe(`${listener.baseUrl}/a`);
    expect(listener.url('a')).toBe(`${listener.baseUrl}/a`);
  });
});
