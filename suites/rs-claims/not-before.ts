import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.not-before',
  catalog: 'S17',
  title: 'Tokens not valid before a future time (nbf beyond leeway) are refused',
  spec: ['RFC7519-4.1.5'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S17', { what: 'tokens with nbf an hour ahead', why: 'signing a claim change' }),
});
