import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ClientAuth, HttpAnswer, TokenAnswer } from '../../harness/oauth/client.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { said } from './answers.ts';

type JwtClient = Extract<ClientAuth, { method: 'private_key_jwt' }>;
const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** RFC 7523 §3 claims for the client, with `change` applied (a wrong aud, an expiry in the past). */
function claimsFor(client: JwtClient, change: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: client.clientId,
    sub: client.clientId,
    aud: client.audience,
    jti: randomBytes(16).toString('base64url'),
    iat: now,
    exp: now + 60,
    ...change,
  };
}

function signed(client: JwtClient, change: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claimsFor(client, change))
    .setProtectedHeader({ alg: client.alg, ...(client.kid && { kid: client.kid }) })
    .sign(client.privateKey);
}

/** An unsigned assertion (alg none) with the right claims: only the signature is missing. */
function unsigned(client: JwtClient): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none' })}.${encode(claimsFor(client))}.`;
}

export default check({
  id: 'token-endpoint.client-assertion',
  catalog: 'T13',
  title: 'private_key_jwt assertions with a wrong aud, expired, unsigned or replayed are refused',
  spec: ['RFC7523-3', 'RFC7521-4.2', 'RFC7523-2.2'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    if (!t.profile.issuer?.clients?.privateKeyJwt)
      t.skip('the profile has no private_key_jwt client (issuer.clients.privateKeyJwt)');
    const client = t.steps.client('privateKeyJwt');
    if (client.method !== 'private_key_jwt') t.skip('issuer.clients.privateKeyJwt does not use auth private_key_jwt');
    const present = (assertion: string): Promise<HttpAnswer<TokenAnswer>> =>
      t.steps.token(
        {
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_assertion_type: assertionType,
          client_assertion: assertion,
        },
        { method: 'none', clientId: client.clientId },
      );
    const valid = await signed(client);
    const control = await present(valid);
    if (control.status !== 200) t.error(`a valid client assertion was refused (${said(control)}): nothing to compare with`);
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string][] = [
      ['a wrong aud', await signed(client, { aud: 'https://tokenproof.invalid/not-this-server' })],
      ['an expired assertion', await signed(client, { iat: now - 600, exp: now - 300 })],
      ['an unsigned assertion (alg none)', unsigned(client)],
    ];
    const seen: string[] = [];
    for (const [name, assertion] of cases) {
      const answer = await present(assertion);
      seen.push(`${name}: ${said(answer)}`);
      t.assert(answer.status !== 200, `${name} authenticated the client (HTTP 200)`);
      t.assert(answer.status === 400 || answer.status === 401, `${name} answered ${said(answer)}, not 400/401`);
      t.should(answer.body.error === 'invalid_client', `${name} answered ${said(answer)}, not invalid_client`);
    }
    // RFC 7523 §3 (7): the server "MAY ensure that JWTs are not replayed"; OIDC Core §9 asks for single use.
    const replay = await present(valid);
    seen.push(`replayed jti: ${said(replay)}`);
    t.should(replay.status !== 200, 'the same client assertion (same jti) authenticated twice');
    t.passReason(seen.join('; '));
  },
});
