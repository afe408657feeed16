// suites/discovery/no-alg-none.ts
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

export default check({
  id: 'discovery.no-alg-none',
  catalog: 'D05',
  title: "'none' is absent from every *_signing_alg_values_supported",
  spec: ['RFC8725-3.1', 'RFC8414-2'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const { metadata } = await t.steps.discovery();
    const members = Object.keys(metadata).filter((member) => member.endsWith('_signing_alg_values_supported'));
    const offending = members.filter((member) => {
      const values = metadata[member];
      return Array.isArray(values) && values.some((value) => typeof value === 'string' && value.toLowerCase() === 'none');
    });
    t.assert(offending.length === 0, `'none' is advertised in ${offending.join(', ')}`);
    t.passReason(`checked ${members.length} algorithm lists`);
  },
});
