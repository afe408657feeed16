import { wellKnown } from '../../harness/oauth/well-known.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

/** Grants that use the authorization endpoint (RFC 6749 §4.1, §4.2). */
const authorizationEndpointGrants = ['authorization_code', 'implicit'];

/**
 * The members the served document must have. OpenID Connect Discovery §3 (for
 * /.well-known/openid-configuration): issuer, authorization_endpoint, token_endpoint ("unless only
 * the Implicit Flow is used"), jwks_uri, response_types_supported, subject_types_supported,
 * id_token_signing_alg_values_supported. RFC 8414 §2 (for /.well-known/oauth-authorization-server):
 * issuer, authorization_endpoint "unless no grant types are supported that use the authorization
 * endpoint", token_endpoint "unless only the implicit grant type is supported",
 * response_types_supported; jwks_uri is OPTIONAL there. grant_types_supported defaults to
 * ["authorization_code", "implicit"] in both.
 */
function requiredMembers(metadata: Record<string, unknown>, openid: boolean): string[] {
  const grants = Array.isArray(metadata.grant_types_supported)
    ? metadata.grant_types_supported
    : ['authorization_code', 'implicit'];
  const responseTypes = Array.isArray(metadata.response_types_supported) ? metadata.response_types_supported : [];
  const offersCode = responseTypes.length === 0 || responseTypes.some((type) => String(type).split(' ').includes('code'));
  // The token endpoint serves every grant but implicit (and the code grant only where code is offered).
  const tokenEndpointGrants = grants.filter((grant) => grant !== 'implicit' && (grant !== 'authorization_code' || offersCode));
  const usesAuthorizationEndpoint = grants.some((grant) => authorizationEndpointGrants.includes(String(grant)));
  const required = ['issuer'];
  if (openid || usesAuthorizationEndpoint) required.push('authorization_endpoint');
  if (tokenEndpointGrants.length > 0) required.push('token_endpoint');
  if (openid) required.push('jwks_uri');
  // RFC 8414 §2 says REQUIRED; for a server whose grants never use the authorization endpoint the
  // list would be empty, which §3.2 says to omit (erratum 7793): such a server is not failed for it.
  if (openid || usesAuthorizationEndpoint) required.push('response_types_supported');
  if (openid) required.push('subject_types_supported', 'id_token_signing_alg_values_supported');
  return required;
}

export default check({
  id: 'discovery.required-members',
  catalog: 'D04',
  title: 'Required metadata members are present and well-typed',
  spec: ['OIDC-Discovery-3', 'RFC8414-2'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const { metadata, url } = await t.steps.discovery();
    const openid = url.endsWith(wellKnown.openid);
    const required = requiredMembers(metadata, openid);
    const rules = openid ? 'OpenID Connect Discovery §3' : 'RFC 8414 §2';
    const missing = required.filter((member) => metadata[member] === undefined);
    t.assert(missing.length === 0, `${url} lacks ${missing.join(', ')} (required by ${rules})`);
    const notArrays = required.filter(
      (member) =>
        member.endsWith('_supported') &&
        !(Array.isArray(metadata[member]) && (metadata[member] as unknown[]).every((item) => typeof item === 'string')),
    );
    t.assert(notArrays.length === 0, `not JSON arrays of strings: ${notArrays.join(', ')}`);
    const notStrings = required.filter((member) => !member.endsWith('_supported') && typeof metadata[member] !== 'string');
    t.assert(notStrings.length === 0, `not strings: ${notStrings.join(', ')}`);
    t.passReason(`all ${required.length} members ${rules} requires of this document are present (${required.join(', ')})`);
  },
});
