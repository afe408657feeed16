import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

/** RFC 8414 §3.3, OIDC Discovery §4.3: the issuer returned MUST be identical to the one the URL was built from. */
export default check({
  id: 'discovery.issuer-match',
  catalog: 'D02',
  title: 'The discovery issuer equals the configured issuer exactly',
  spec: ['RFC8414-3.3', 'OIDC-Discovery-4.3'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const { metadata, url } = await t.steps.discovery();
    const expected = t.steps.issuerUrl();
    t.assert(metadata.issuer !== undefined, `${url} has no issuer member: clients cannot validate iss at all`);
    t.assert(
      metadata.issuer === expected,
      `${url} says issuer ${JSON.stringify(metadata.issuer)}, the target is ${JSON.stringify(expected)}: tokens would fail iss validation`,
    );
    t.passReason(`${url} names issuer ${expected}`);
  },
});
