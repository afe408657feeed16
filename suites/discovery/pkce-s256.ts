import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

/**
 * RFC 9700 §2.1.1: authorization servers "MUST provide a way to detect their support for PKCE",
 * and publishing code_challenge_methods_supported is the RECOMMENDED way; clients SHOULD use
 * methods that do not expose the verifier, and S256 is the only one. PKCE belongs to the
 * authorization endpoint: a server that has none (client credentials only) is skipped.
 */
export default check({
  id: 'discovery.pkce-s256',
  catalog: 'D06',
  title: 'code_challenge_methods_supported has S256 and not plain',
  spec: ['RFC9700-2.1.1', 'RFC8414-2', 'RFC7636-4.2'],
  level: 'SHOULD',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const { metadata } = await t.steps.discovery();
    if (metadata.authorization_endpoint === undefined)
      t.skip('no authorization_endpoint advertised: there is no authorization request for PKCE to protect');
    const methods = metadata.code_challenge_methods_supported;
    t.assert(
      methods !== undefined,
      'code_challenge_methods_supported is not advertised: clients cannot tell that PKCE S256 is supported',
    );
    t.assert(Array.isArray(methods), `code_challenge_methods_supported is ${JSON.stringify(methods)}, not a JSON array`);
    t.assert(methods.includes('S256'), `S256 is not advertised (found ${JSON.stringify(methods)})`);
    t.assert(!methods.includes('plain'), "'plain' is advertised: it lets an attacker who sees the request redeem the code");
    t.passReason(`advertises ${methods.join(', ')}`);
  },
});
