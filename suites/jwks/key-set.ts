// suites/jwks/key-set.ts
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { fetchJwks } from './fetch-jwks.ts';

export default check({
  id: 'jwks.key-set',
  catalog: 'K01',
  title: 'jwks_uri serves a JSON Web Key Set',
  spec: ['RFC7517-5', 'RFC8414-2'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const jwks = await fetchJwks(t);
    t.assert(jwks.status === 200, `${jwks.url} answered HTTP ${jwks.status}`);
    t.assert(jwks.keys, `${jwks.url} is not {"keys":[...]} with JSON objects`);
    t.assert(jwks.keys.length > 0, `${jwks.url} has no keys: nothing can verify the issuer's tokens`);
    t.passReason(`${jwks.keys.length} key(s)`);
  },
});
