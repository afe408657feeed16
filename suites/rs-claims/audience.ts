import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.audience',
  catalog: 'S18',
  title: 'Tokens for another audience are refused; an aud array naming the RS is accepted',
  spec: ['RFC7519-4.1.3', 'RFC9068-4', 'RFC8725-3.9'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S18', { what: 'tokens with a wrong, missing or empty aud', why: 'signing a claim change' }),
});
