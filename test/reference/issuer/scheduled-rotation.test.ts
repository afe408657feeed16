/** signing.rotation.every: the issuer rotates on its own, and the retired key stays published. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenRequest } from '../../../harness/oauth/client.ts';
import { headerOf, startTestIssuer, type TestIssuer } from '../../support/issuer.ts';

let t: TestIssuer;
beforeAll(async () => {
  t = await startTestIssuer({ signing: { alg: 'ES256', rotation: { every: '1s' } } });
});
afterAll(() => t.close());

async function kids(): Promise<string[]> {
  const jwks = (await (await fetch(t.endpoints.jwks)).json()) as { keys: { kid: string }[] };
  return jwks.keys.map((key) => key.kid);
}

describe('scheduled key rotation', () => {
  it('rotates without an admin call and keeps the previous key published', async () => {
    const first = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.primary);
    const firstKid = headerOf(first.body.access_token!).kid as string;
    const deadline = Date.now() + 10_000;
    let current = firstKid;
    while (current === firstKid && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const answer = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials' }, t.primary);
      current = headerOf(answer.body.access_token!).kid as string;
    }
    expect(current).not.toBe(firstKid);
    const published = await kids();
    expect(published).toContain(current);
    expect(published).toContain(firstKid);
  });
});
