import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.critical-headers',
  catalog: 'S22',
  title: 'Unsupported crit extensions and b64:false are refused',
  spec: ['RFC7515-4.1.11', 'RFC7797-3', 'RFC7797-6'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S22', { what: 'tokens with critical extensions', why: 'signing a header change' }),
});
