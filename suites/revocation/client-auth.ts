import { randomBytes } from 'node:crypto';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { freshActiveToken, observer } from './observe.ts';

export default check({
  id: 'revocation.client-auth',
  catalog: 'V06',
  title: 'Revocation without or with wrong client authentication is refused and revokes nothing',
  spec: ['RFC7009-2.1', 'RFC6749-5.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    const primary = t.steps.client('primary');
    if (primary.method === 'none') t.skip('the primary client is public: RFC 7009 §2.1 lets it revoke with its client_id only');
    const { token, stillLive, kind } = await targetToken(t);

    // RFC 6749 §5.2: with no Authorization header, invalid_client may come as 400 or 401 (and a
    // server may call a request without any client identification invalid_request).
    const bare = await t.steps.revoke(token, { client: null });
    t.assert(
      bare.status === 400 || bare.status === 401,
      `a revocation request without client authentication answered HTTP ${bare.status}, not a 400/401 refusal`,
    );
    const bareError = String(bare.body.error ?? '');
    t.should(
      bareError === 'invalid_client' || bareError === 'invalid_request',
      `a revocation request without client authentication was refused with error ${JSON.stringify(bare.body.error)}, not invalid_client (RFC 6749 §5.2)`,
    );

    // As T03 (token-endpoint.wrong-secret) judges it: refused, never 5xx, and RFC 6749 §5.2 "If the
    // client attempted to authenticate via the Authorization request header field, the
    // authorization server MUST respond with an HTTP 401"; the error code is graded SHOULD.
    const wrongSecret = await t.steps.revoke(token, {
      client: { method: 'client_secret_basic', clientId: primary.clientId, secret: randomBytes(24).toString('base64url') },
    });
    const wrongSaid = `HTTP ${wrongSecret.status} ${String(wrongSecret.body.error ?? '')}`.trim();
    t.assert(wrongSecret.status !== 200, `revocation accepted a wrong secret for client ${primary.clientId} (HTTP 200)`);
    t.assert(
      wrongSecret.status < 500,
      `a wrong secret made the revocation endpoint fail with ${wrongSaid} instead of refusing it`,
    );
    t.assert(
      wrongSecret.status === 401,
      `a wrong client secret in Basic authentication answered ${wrongSaid}; RFC 6749 §5.2 requires 401`,
    );
    t.should(
      wrongSecret.body.error === 'invalid_client',
      `the refusal's error is ${JSON.stringify(wrongSecret.body.error)}, not invalid_client (RFC 6749 §5.2)`,
    );
    // The same §5.2 sentence: "... and include the WWW-Authenticate response header field matching
    // the authentication scheme used by the client" (a MUST in T03 too).
    const challenge = wrongSecret.headers.get('www-authenticate');
    t.assert(
      challenge !== null && /^\s*basic\b/i.test(challenge),
      `the 401 has ${challenge ? `WWW-Authenticate: ${challenge}` : 'no WWW-Authenticate header'}; RFC 6749 §5.2 requires one matching the Basic scheme used`,
    );
    if (stillLive)
      t.assert(await stillLive(), `a revocation request that failed client authentication revoked the ${kind} anyway`);
    else t.note(`whether the ${kind} stayed live was not observed (no introspection or resource server sees it)`);
    t.passReason(
      `no client authentication → HTTP ${bare.status} ${bareError}; wrong secret → ${wrongSaid}${stillLive ? `; the ${kind} stayed live` : ''}`,
    );
  },
});

/**
 * The token the unauthenticated requests try to revoke, and how to see it survived: a refresh
 * token from the login (it still refreshes), else an access token the observer sees active,
 * else an access token nobody can observe (the refusal alone is then judged).
 */
async function targetToken(t: CheckContext): Promise<{ token: string; kind: string; stillLive?: () => Promise<boolean> }> {
  if (t.profile.issuer?.login) {
    const tokens = await t.steps.userRefreshToken({ client: 'primary' });
    return {
      token: tokens.refreshToken,
      kind: 'refresh token',
      stillLive: async () => (await t.steps.refresh(tokens.refreshToken, { auth: tokens.auth })).status === 200,
    };
  }
  const seen = await observer(t, { optional: true });
  const fresh = seen ? await freshActiveToken(t, seen, 'primary') : undefined;
  if (seen && fresh && 'token' in fresh)
    return { token: fresh.token, kind: 'access token', stillLive: () => seen.active(fresh.token) };
  return { token: (await t.steps.audienceToken()).accessToken, kind: 'access token' };
}
