import { check } from '../../harness/runner/check.ts';
import { runForgeryCheck } from './forged.ts';

export default check({
  id: 'rs-claims.ecdsa-signatures',
  catalog: 'S06',
  title: 'Psychic (r=s=0), DER-encoded and out-of-range ECDSA signatures are refused',
  spec: ['RFC7518-3.4', 'CVE-2022-21449'],
  level: 'MUST',
  needs: ['resourceServer'],
  run: runForgeryCheck('S06', { what: 'malformed ES256 signatures', needsAlg: 'ES256', why: 'an ES256 token of a trusted key' }),
});
