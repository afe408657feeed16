import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

/**
 * Where `none` is forbidden, and where it is not (catalog D05):
 * - the client-authentication lists `token_endpoint_auth_signing_alg_values_supported` (RFC 8414
 *   §2, OIDC Discovery §3) and `revocation_…`/`introspection_endpoint_auth_signing_alg_values_supported`
 *   (RFC 8414 §2): "The value none MUST NOT be used" — an unsigned client assertion would
 *   authenticate anyone as the client. MUST.
 * - `id_token_signing_alg_values_supported`: "The value none MAY be supported, but MUST NOT be
 *   used unless the Response Type used returns no ID Token from the Authorization Endpoint" (OIDC
 *   Discovery §3): allowed, but a risk if a client accepts it from the front channel (RFC 8725
 *   §3.1). SHOULD (warn).
 * - `userinfo_signing_alg_values_supported` ("none MAY be included") and
 *   `request_object_signing_alg_values_supported` ("Servers SHOULD support none and RS256"): no
 *   finding. Other lists are not judged here.
 */
const clientAuthList = /^[a-z_]+_endpoint_auth_signing_alg_values_supported$/;
const idTokenList = 'id_token_signing_alg_values_supported';

const isNone = (value: unknown) => typeof value === 'string' && value.toLowerCase() === 'none';

export default check({
  id: 'discovery.no-alg-none',
  catalog: 'D05',
  title: "'none' is absent from the client-authentication signing lists (and, as a SHOULD, from the ID token list)",
  spec: ['RFC8414-2', 'OIDC-Discovery-3', 'RFC8725-3.1'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const { metadata } = await t.steps.discovery();
    const authLists = Object.keys(metadata).filter((member) => clientAuthList.test(member));
    const judged = [...authLists, ...(metadata[idTokenList] !== undefined ? [idTokenList] : [])];
    if (judged.length === 0)
      t.skip(
        `no *_endpoint_auth_signing_alg_values_supported and no ${idTokenList} advertised: no list where none is restricted`,
      );

    const malformed = judged.filter((member) => !Array.isArray(metadata[member]));
    for (const member of malformed) {
      const reason = `${member} is ${JSON.stringify(metadata[member])}, not a JSON array of algorithms (RFC 8414 §2): 'none' cannot be ruled out`;
      if (member === idTokenList) t.warn(reason);
      else t.fail(reason);
    }
    const offending = authLists.filter((member) => (metadata[member] as unknown[]).some(isNone));
    t.assert(
      offending.length === 0,
      `'none' is advertised in ${offending.join(', ')}: RFC 8414 §2 says it MUST NOT be used for client authentication`,
    );
    if (Array.isArray(metadata[idTokenList]) && metadata[idTokenList].some(isNone))
      t.warn(
        `'none' is advertised in ${idTokenList}: allowed only for ID tokens that never leave the token endpoint (OIDC Discovery §3); a client that accepts it elsewhere can be handed forged ID tokens`,
      );
    const unjudged = ['userinfo_signing_alg_values_supported', 'request_object_signing_alg_values_supported'].filter(
      (member) => Array.isArray(metadata[member]) && (metadata[member] as unknown[]).some(isNone),
    );
    if (unjudged.length) t.note(`'none' in ${unjudged.join(', ')} is allowed (OIDC Discovery §3): no finding`);
    t.passReason(
      `${authLists.length ? '' : 'no *_endpoint_auth_signing_alg_values_supported advertised; '}none of the ${judged.length} list(s) where it is restricted has 'none' (${judged.join(', ')})`,
    );
  },
});
