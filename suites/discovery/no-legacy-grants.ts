// suites/discovery/no-legacy-grants.ts
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

export default check({
  id: 'discovery.no-legacy-grants',
  catalog: 'D07',
  title: 'The password grant and the implicit flow are not offered',
  spec: ['RFC9700-2.4', 'RFC9700-2.1.2'],
  level: 'SHOULD',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const { metadata } = await t.steps.discovery();
    const grants = Array.isArray(metadata.grant_types_supported) ? metadata.grant_types_supported : [];
    const responseTypes = Array.isArray(metadata.response_types_supported) ? metadata.response_types_supported : [];
    const legacy = [
      ...grants.filter((grant) => grant === 'password' || grant === 'implicit'),
      ...responseTypes.filter((type) => typeof type === 'string' && type.split(' ').includes('token')),
    ];
    t.assert(legacy.length === 0, `offers ${legacy.map((value) => JSON.stringify(value)).join(', ')}`);
    t.passReason(
      grants.length || responseTypes.length
        ? `${grants.length} grant types and ${responseTypes.length} response types advertised; none is password or implicit`
        : 'no grant_types_supported or response_types_supported advertised (RFC 8414 defaults: authorization_code, code)',
    );
  },
});
