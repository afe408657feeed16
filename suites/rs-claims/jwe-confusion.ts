import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.jwe-confusion',
  catalog: 'S28',
  title: 'A JWE encrypted to the trusted signing key is refused (sign/encrypt confusion)',
  spec: ['RFC9068-4', 'RFC7516-9', 'RFC8725-3.12'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S28', { what: 'JWEs encrypted to the signing key', why: "encrypting to the trusted issuer's key" }),
});
