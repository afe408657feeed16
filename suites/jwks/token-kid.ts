import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { jwsHeader, verifyWithKeys } from '../../harness/steps/index.ts';

/**
 * An issued JWT access token must verify with a key the JWKS publishes (RFC 7515 §4.1.4: kid names
 * the key; RFC 9068 §4: the resource server validates the signature with the issuer's published
 * keys). Only the signature is judged here (claims have their own checks), so a clock difference
 * with the issuer cannot fail it. Its alg is compared with an access-token alg list when the
 * issuer advertises one; id_token_signing_alg_values_supported is about ID tokens, not these.
 */
export default check({
  id: 'jwks.token-kid',
  catalog: 'K04',
  title: "An issued JWT's kid resolves in the JWKS and the published key verifies it",
  spec: ['RFC7515-4.1.4', 'RFC9068-4', 'OIDC-Core-10.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    const token = await t.steps.clientCredentialsToken();
    const header = jwsHeader(token.access_token);
    if (!header) t.skip('the issuer returns opaque access tokens (not JWTs): no kid to resolve');
    t.note(`access token header ${JSON.stringify(header)}`);
    const keys = await t.steps.requireKeys();
    if (keys.length === 0) t.fail('the JWKS has no keys: nothing can verify the token');
    let candidates = keys;
    if (header.kid === undefined) {
      if (keys.length > 1)
        t.warn(
          `the token has no kid and the JWKS has ${keys.length} keys: verifiers must try each (OIDC Core §10.1 wants a kid)`,
        );
    } else {
      candidates = keys.filter((candidate) => candidate.kid === header.kid);
      t.assert(candidates.length > 0, `kid ${JSON.stringify(header.kid)} is not in the JWKS`);
    }
    const { metadata } = await t.steps.discovery();
    const accessTokenAlgs = metadata.access_token_signing_alg_values_supported;
    if (Array.isArray(accessTokenAlgs))
      t.assert(
        accessTokenAlgs.includes(header.alg),
        `alg ${String(header.alg)} is not in access_token_signing_alg_values_supported (${accessTokenAlgs.join(', ')})`,
      );
    const verified = await verifyWithKeys(token.access_token, candidates);
    t.assert(verified.key, `the token does not verify with the published key ${String(header.kid ?? '')}: ${verified.error}`);
    t.passReason(`kid ${String(header.kid ?? '(none)')} (${String(header.alg)}) is published and verifies the token`);
  },
});
