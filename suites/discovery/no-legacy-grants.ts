import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

/** Response types that put an access token in the authorization response (RFC 6749 §4.2, OAuth Multiple Response Types §3-5). */
const issuesAccessToken = (type: unknown) => typeof type === 'string' && type.split(' ').includes('token');

/**
 * RFC 9700 §2.4: the resource owner password credentials grant MUST NOT be used; §2.1.2: clients
 * SHOULD NOT use "the implicit grant (response type token) or other response types issuing access
 * tokens in the authorization response". The catalog grades what the server offers as SHOULD (D07).
 *
 * What §2.1.2 guards against is an access token in the front channel, so the implicit flow is
 * judged by the response types (REQUIRED wherever the authorization endpoint is used). An
 * `implicit` entry in grant_types_supported is also how OpenID providers announce the ID-token-only
 * response types (`id_token`, and `code id_token` for the hybrid flow), which issue no access
 * token: alone, without a `token` response type, it is noted, not a finding. An omitted
 * grant_types_supported defaults to ["authorization_code", "implicit"] (RFC 8414 §2), which says
 * nothing about the password grant.
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
    const implicitGrant = grants?.includes('implicit') ?? false;
    const legacy = [
      ...(grants ?? []).filter((grant) => grant === 'password'),
      // Without response types to go by, the implicit grant entry is all there is to judge.
      ...(implicitGrant && !responseTypes ? ['implicit'] : []),
      ...(responseTypes ?? []).filter(issuesAccessToken),
    ];
    t.assert(legacy.length === 0, `offers ${legacy.map((value) => JSON.stringify(value)).join(', ')}`);
    const implicitNote =
      implicitGrant && responseTypes
        ? '; grant_types_supported lists implicit, but no response type puts an access token in the authorization response'
        : '';
    if (implicitNote)
      t.note(`response types ${JSON.stringify(responseTypes)}: none issues an access token from the authorization endpoint`);
    const counts = [
      grants ? `${grants.length} grant type(s)` : 'no grant_types_supported (the password grant is not in the default)',
      responseTypes ? `${responseTypes.length} response type(s)` : 'no response_types_supported',
    ];
    t.passReason(
      `${counts.join(' and ')} advertised; neither the password grant nor an access token from the authorization endpoint${implicitNote}`,
    );
  },
});
