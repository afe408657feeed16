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
