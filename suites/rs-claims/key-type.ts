// S13: a kid naming a published key whose kty or advertised alg does not fit the token's alg must
// not verify it (RFC 7515 §4.1.1 / RFC 7518 §3.1, RFC 8725 §3.1) — MUST. A kid naming a key
// published with `use: enc` is a warning: RFC 7517 §4.2 says "use" "identifies the intended use of
// the public key" and puts no requirement on the verifier (CHECKS.md: SHOULD reject).
import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.key-type',
  catalog: 'S13',
  title: 'A kid naming a key of the wrong type for the alg, or an encryption key, does not verify',
  spec: ['RFC7517-4.2', 'RFC7517-4.4', 'RFC8725-3.1'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S13', { what: 'tokens naming an unfit published key', why: 'publishing keys the RS trusts' }),
});
