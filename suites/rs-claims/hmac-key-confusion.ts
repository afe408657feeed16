import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.hmac-key-confusion',
  catalog: 'S04',
  title: "HS256/384/512 keyed with the RS's public key bytes is refused (key confusion)",
  spec: ['RFC8725-2.1', 'RFC8725-3.1'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S04', { what: 'HMAC tokens keyed with the public key', why: 'naming a trusted kid' }),
});
