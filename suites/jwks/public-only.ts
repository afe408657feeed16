// suites/jwks/public-only.ts
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { requireKeys } from './fetch-jwks.ts';

const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export default check({
  id: 'jwks.public-only',
  catalog: 'K02',
  title: 'The JWKS publishes no private key material and no symmetric keys',
  spec: ['RFC7517-5', 'RFC7518-6.3.2', 'RFC7518-6.2.2'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const keys = await requireKeys(t);
    for (const [index, key] of keys.entries()) {
      const label = `key ${index} (kid ${JSON.stringify(key.kid ?? null)})`;
      t.assert(key.kty !== 'oct', `${label} is a symmetric (oct) key: anyone can forge tokens with it`);
      const leaked = privateMembers.filter((member) => member in key);
      t.assert(leaked.length === 0, `${label} publishes private members ${leaked.join(', ')}: the signing key is exposed`);
    }
    if (keys.length === 0) t.skip('the JWKS is empty: no key to examine');
    t.passReason(`${keys.length} keys, all public and asymmetric`);
  },
});
