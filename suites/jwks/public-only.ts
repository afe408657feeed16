import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';

/** Private members of RSA (RFC 7518 §6.3.2), EC and OKP (§6.2.2, RFC 8037 §2: d) and symmetric keys (§6.4.1: k). */
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export default check({
  id: 'jwks.public-only',
  catalog: 'K02',
  title: 'The JWKS publishes no private key material and no symmetric keys',
  spec: ['RFC7517-5', 'RFC7518-6.3.2', 'RFC7518-6.2.2', 'RFC7518-6.4'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const keys = await t.steps.requireKeys();
    if (keys.length === 0) t.skip('the JWKS is empty: no key to examine (K01 reports that)');
    for (const [index, key] of keys.entries()) {
      const label = `key ${index} (kid ${JSON.stringify(key.kid ?? null)})`;
      t.assert(key.kty !== 'oct', `${label} is a symmetric (oct) key: anyone can forge tokens with it`);
      const leaked = privateMembers.filter((member) => member in key);
      t.assert(leaked.length === 0, `${label} publishes private members ${leaked.join(', ')}: the signing key is exposed`);
    }
    t.passReason(`${keys.length} key(s), all public and asymmetric`);
  },
});
