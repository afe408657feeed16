/**
 * The issuer's signature batches (harness/reference/issuer/sign-batch.ts): what one turn of the
 * event loop asks for is signed together, at most maxBatch at a time, each signature correct and
 * each failure its own; and under concurrent token requests every answer is a distinct, valid token.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwsVerify } from '../../../harness/oauth/algorithms.ts';
import { tokenRequest } from '../../../harness/oauth/client.ts';
import { maxBatch, signInBatch } from '../../../harness/reference/issuer/sign-batch.ts';
import { startTestIssuer, type TestIssuer } from '../../support/issuer.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('signInBatch', () => {
  it('signs what one turn asks for in batches of maxBatch, each signature verifying', async () => {
    const count = maxBatch + 8;
    let resolved = 0;
    const data = Array.from({ length: count }, (_, index) => Buffer.from(`input ${index}`));
    const pending = data.map((input) =>
      signInBatch('ES256', input, ec.privateKey).then((signature) => {
        resolved += 1;
        return signature;
      }),
    );
    // Queued after the first flush: it runs once that batch and its continuations are done, before
    // the rest, which waits for the next turn of the event loop.
    const afterFirstBatch = new Promise<number>((resolve) => setImmediate(() => resolve(resolved)));
    expect(resolved).toBe(0);
    expect(await afterFirstBatch).toBe(maxBatch);
    const signatures = await Promise.all(pending);
    expect(resolved).toBe(count);
    signatures.forEach((signature, index) => {
      expect(signature).toHaveLength(64);
      expect(jwsVerify('ES256', data[index]!, ec.publicKey, signature)).toBe(true);
      expect(jwsVerify('ES256', data[(index + 1) % count]!, ec.publicKey, signature)).toBe(false);
    });
  });

  it('rejects only the signature that fails; the rest of its batch is signed', async () => {
    const [good, bad, alsoGood] = await Promise.allSettled([
      signInBatch('RS256', Buffer.from('a'), rsa.privateKey),
      signInBatch('RS256', Buffer.from('b'), rsa.publicKey),
      signInBatch('RS256', Buffer.from('c'), rsa.privateKey),
    ]);
    expect(good.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    expect(alsoGood.status).toBe('fulfilled');
    if (alsoGood.status === 'fulfilled') expect(jwsVerify('RS256', Buffer.from('c'), rsa.publicKey, alsoGood.value)).toBe(true);
  });
});

describe('the token endpoint under concurrent requests', () => {
  let t: TestIssuer;
  beforeAll(async () => {
    t = await startTestIssuer();
  });
  afterAll(() => t.close());

  it('gives 50 concurrent client_credentials requests 50 distinct tokens that verify', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.primary)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    const tokens = answers.map((answer) => answer.body.access_token as string);
    expect(new Set(tokens).size).toBe(50);
    const jwks = createRemoteJWKSet(new URL(t.endpoints.jwks));
    const jtis = new Set<unknown>();
    for (const token of tokens) {
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: t.url, typ: 'at+jwt' });
      expect(protectedHeader.alg).toBe('RS256');
      jtis.add(payload.jti);
    }
    expect(jtis.size).toBe(50);
  });
});
