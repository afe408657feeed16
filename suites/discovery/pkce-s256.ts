// suites/discovery/pkce-s256.ts
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

export default check({
  id: 'discovery.pkce-s256',
  catalog: 'D06',
  title: 'code_challenge_methods_supported has S256 and not plain',
  spec: ['RFC9700-2.1.1', 'RFC8414-2'],
  level: 'SHOULD',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const { metadata } = await t.steps.discovery();
    const methods = metadata.code_challenge_methods_supported;
    t.assert(
      Array.isArray(methods),
      'code_challenge_methods_supported is not advertised: clients cannot tell that PKCE S256 is supported',
    );
    t.assert(methods.includes('S256'), `S256 is not advertised (found ${JSON.stringify(methods)})`);
    t.assert(!methods.includes('plain'), "'plain' is advertised: it lets an attacker who sees the request redeem the code");
    t.passReason(`advertises ${methods.join(', ')}`);
  },
});
