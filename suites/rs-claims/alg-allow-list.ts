import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.alg-allow-list',
  catalog: 'S07',
  title: 'Algorithms off the allow-list and alg relabelling are refused',
  spec: ['RFC8725-3.1', 'RFC8725-2.1', 'RFC9068-4'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S07', { what: 'tokens with an algorithm the RS does not accept', why: 'signing with a trusted key' }),
});
