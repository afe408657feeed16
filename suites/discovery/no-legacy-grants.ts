import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

/**
 * RFC 9700 §2.4: the resource owner password credentials grant MUST NOT be used; §2.1.2: clients
 * SHOULD NOT use the implicit grant or any response type that issues access tokens in the
 * authorization response. The catalog grades what the server offers as SHOULD (D07).
 *
 * The implicit flow is judged by the response types (REQUIRED wherever the authorization endpoint
 * is used): an omitted grant_types_supported defaults to ["authorization_code", "implicit"]
 * (RFC 8414 §2), but without a `token` response type no access token can come from the
 * authorization endpoint, so the default alone is not a finding.
 */
export default check({
  id: 'discovery.no-legacy-grants',
  catalog: 'D07',
  title: 'The password grant and the implicit flow are not offered',
  spec: ['RFC9700-2.4', 'RFC9700-2.1.2'],
  level: 'SHOULD',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const { metadata } = await t.steps.discovery();
    const grants = Array.isArray(metadata.grant_types_supported) ? metadata.grant_types_supported : undefined;
    const responseTypes = Array.isArray(metadata.response_types_supported) ? metadata.response_types_supported : undefined;
    if (!grants && !responseTypes)
      t.skip('neither grant_types_supported nor response_types_supported is advertised: nothing says which grants are offered');
    const legacy = [
      ...(grants ?? []).filter((grant) => grant === 'password' || grant === 'implicit'),
      ...(responseTypes ?? []).filter((type) => typeof type === 'string' && type.split(' ').includes('token')),
    ];
    t.assert(legacy.length === 0, `offers ${legacy.map((value) => JSON.stringify(value)).join(', ')}`);
    t.passReason(
      [
        grants ? `${grants.length} grant type(s)` : 'no grant_types_supported (the password grant is not in the default)',
        responseTypes ? `${responseTypes.length} response type(s)` : 'no response_types_supported',
      ].join(' and ') + ' advertised; none is password or implicit',
    );
  },
});
