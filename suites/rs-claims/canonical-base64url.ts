import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.canonical-base64url',
  catalog: 'S26',
  title: 'Non-canonical base64url (padding, + and /) is refused',
  spec: ['RFC7515-2', 'RFC7515-7.1'],
  level: 'SHOULD',
  needs: ['resourceServer'],
  run: runForgeryCheck('S26', { what: 'tokens in non-canonical base64', why: 'signing the non-canonical text' }),
});
