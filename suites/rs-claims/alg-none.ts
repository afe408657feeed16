import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.alg-none',
  catalog: 'S02',
  title: 'Unsecured tokens (alg none in any spelling, empty signature) are refused',
  spec: ['RFC8725-2.1', 'RFC8725-3.1', 'RFC7518-3.6', 'RFC9068-4'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S02', { what: 'alg none tokens' }),
});
