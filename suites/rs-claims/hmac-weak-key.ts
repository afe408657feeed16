import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.hmac-weak-key',
  catalog: 'S05',
  title: 'HS256 with an empty key or a weak secret is refused',
  spec: ['RFC8725-3.5', 'RFC7518-3.2'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S05', { what: 'HS256 tokens with an empty or weak key' }),
});
