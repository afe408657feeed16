import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.explicit-typing',
  catalog: 'S20',
  title: 'Only typ at+jwt (or application/at+jwt) is accepted as an access token',
  spec: ['RFC9068-4', 'RFC8725-3.11'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S20', { what: 'tokens typed other than at+jwt', why: 'signing a header change' }),
});
