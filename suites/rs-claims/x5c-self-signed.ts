import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.x5c-self-signed',
  catalog: 'S10',
  title: 'A self-signed certificate in x5c is not trusted',
  spec: ['RFC7515-4.1.6', 'RFC8725-3.10'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S10', { what: 'tokens signed by the key of their own x5c certificate' }),
});
