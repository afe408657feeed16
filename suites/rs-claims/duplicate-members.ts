// S23: CHECKS.md grades this SHOULD; RFC 7515 §4 and RFC 7519 §4 say a parser MUST reject
// duplicate names or keep the lexically last one. The forgeries put the wrong value last, so both
// correct behaviours refuse them and only a first-wins parser accepts: MUST, after the RFCs.
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { conclude, sendForgeries } from './forged.ts';

export default check({
  id: 'rs-claims.duplicate-members',
  catalog: 'S23',
  title: 'Duplicate header or claim names are refused or resolved to the last value',
  spec: ['RFC7515-4', 'RFC7515-5.2', 'RFC7519-4'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    // The typ duplicate proves something only where the RS enforces at+jwt.
    const run = await sendForgeries(t, 'S23', {
      why: 'signing duplicate members',
      include: (forged, control) => control.typEnforced || forged.name !== 'duplicate-header-typ',
    });
    if (!run.control.typEnforced) t.note('duplicate-header-typ not sent: the RS does not enforce typ at+jwt (S20)');
    conclude(t, run, 'tokens with a duplicate member whose last value is wrong');
  },
});
