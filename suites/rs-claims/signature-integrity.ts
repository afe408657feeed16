import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.signature-integrity',
  catalog: 'S03',
  title: 'Removed, truncated or altered signatures and claims edited under a signature are refused',
  spec: ['RFC7515-5.2', 'RFC9068-4'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S03', { what: 'tokens with a broken signature', why: 'editing a trusted token' }),
});
