import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

/** RFC 7517 §5: a JWK Set is a JSON object with a "keys" member, an array of JWKs (JSON objects). */
export default check({
  id: 'jwks.key-set',
  catalog: 'K01',
  title: 'jwks_uri serves a JSON Web Key Set',
  spec: ['RFC7517-5', 'RFC8414-2'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const jwks = await t.steps.jwks();
    t.assert(jwks.status === 200, `${jwks.url} answered HTTP ${jwks.status}`);
    t.assert(!jwks.jsonError, `${jwks.url} is not JSON (${jwks.jsonError})`);
    t.assert(jwks.keys, `${jwks.url} is not {"keys":[...]} with JSON objects`);
    t.assert(jwks.keys.length > 0, `${jwks.url} has no keys: nothing can verify the issuer's tokens`);
    t.passReason(`${jwks.keys.length} key(s)`);
  },
});
