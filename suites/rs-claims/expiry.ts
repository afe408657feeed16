import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.expiry',
  catalog: 'S16',
  title: 'Expired tokens and tokens without a valid exp are refused',
  spec: ['RFC7519-4.1.4', 'RFC9068-2.2', 'RFC9068-4'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S16', { what: 'tokens with a past, missing or malformed exp', why: 'signing a claim change' }),
});
