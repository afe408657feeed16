// suites/jwks/token-kid.ts
import { createLocalJWKSet, jwtVerify } from 'jose';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { jwsHeader, requireKeys } from './fetch-jwks.ts';

export default check({
  id: 'jwks.token-kid',
  catalog: 'K04',
  title: "An issued JWT's kid resolves in the JWKS and its alg is advertised",
  spec: ['RFC7515-4.1.4', 'RFC9068-4', 'OIDC-Discovery-3'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    const token = await t.steps.clientCredentialsToken();
    const header = jwsHeader(token.access_token);
    if (!header) t.skip('the issuer returns opaque access tokens (not JWTs)');
    t.note(`access token header ${JSON.stringify(header)}`);
    const keys = await requireKeys(t);
    const key = keys.find((candidate) => candidate.kid === header.kid);
    t.assert(key, `kid ${JSON.stringify(header.kid)} is not in the JWKS`);
    const { metadata } = await t.steps.discovery();
    const advertised = [
      ...(Array.isArray(metadata.id_token_signing_alg_values_supported) ? metadata.id_token_signing_alg_values_supported : []),
      ...(Array.isArray(metadata.access_token_signing_alg_values_supported)
        ? metadata.access_token_signing_alg_values_supported
        : []),
    ];
    if (advertised.length > 0)
      t.assert(advertised.includes(header.alg), `alg ${String(header.alg)} is not advertised (${advertised.join(', ')})`);
    try {
      await jwtVerify(token.access_token, createLocalJWKSet({ keys: [key] as never }), { algorithms: [String(header.alg)] });
    } catch (error) {
      t.fail(`the token does not verify with the published key ${String(header.kid)}: ${(error as Error).message}`);
    }
    t.passReason(`kid ${String(header.kid)} (${String(header.alg)}) is published and verifies the token`);
  },
});
