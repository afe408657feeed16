import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.embedded-jwk',
  catalog: 'S08',
  title: 'A key embedded in the header (jwk) is not trusted',
  spec: ['RFC7515-4.1.3', 'RFC8725-3.10', 'CVE-2018-0114'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S08', { what: 'tokens signed by the key in their own jwk header' }),
});
