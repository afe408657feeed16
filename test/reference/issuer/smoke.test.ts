import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenRequest } from '../../../harness/oauth/client.ts';
import { claimsOf, startTestIssuer, type TestIssuer } from '../../support/issuer.ts';

let t: TestIssuer;
beforeAll(async () => {
  t = await startTestIssuer();
});
afterAll(() => t.close());

describe('reference issuer smoke', () => {
  it('issues a client_credentials token and a login flow token', async () => {
    const cc = await tokenRequest(t.endpoints.token, { grant_type: 'client_credentials', scope: 'read' }, t.primary);
    expect(cc.status).toBe(200);
    expect(claimsOf(cc.body.access_token!).client_id).toBe('primary');
    const login = await t.login(t.primary);
    expect(login.status).toBe(200);
    expect(login.body.refresh_token).toBeTypeOf('string');
    expect(claimsOf(login.body.id_token!).sub).toBe('user-alice');
  });
});
