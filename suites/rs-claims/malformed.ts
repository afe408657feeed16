import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.malformed',
  catalog: 'S25',
  title: 'Malformed tokens (wrong segment count, not JSON, bad characters) are refused without a server error',
  spec: ['RFC7515-7.1', 'RFC7519-7.2', 'RFC6750-3.1'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S25', { what: 'malformed tokens' }),
});
