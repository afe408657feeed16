// S22: a crit naming an extension the RS does not understand, and b64:false, must be refused (RFC
// 7515 §4.1.11 "the JWS is invalid", RFC 7797 §3, §6) — MUST. `crit: []` is a warning: producers
// "MUST NOT use the empty list", but recipients only "MAY consider the JWS to be invalid".
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
