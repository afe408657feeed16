import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.issuer',
  catalog: 'S19',
  title: 'Tokens whose iss is missing or not exactly the trusted issuer are refused',
  spec: ['RFC9068-4', 'RFC8725-3.8'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S19', { what: 'tokens with a missing or look-alike iss', why: 'signing a claim change' }),
});
