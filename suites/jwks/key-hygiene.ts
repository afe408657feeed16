// suites/jwks/key-hygiene.ts
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { requireKeys } from './fetch-jwks.ts';

const algFamilies: Record<string, RegExp> = {
  RSA: /^(RS|PS)(256|384|512)$|^RSA-OAEP(-256)?$|^RSA1_5$/,
  EC: /^ES(256|384|512|256K)$|^ECDH-ES/,
  OKP: /^(EdDSA|Ed25519|Ed448)$|^ECDH-ES/,
};

export default check({
  id: 'jwks.key-hygiene',
  catalog: 'K03',
  title: 'Keys have unique kids, RSA keys are at least 2048 bits, use/alg fit the key type',
  spec: ['RFC7517-4.5', 'RFC7518-3.3', 'RFC7517-4.2', 'RFC7517-4.4'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const keys = await requireKeys(t);
    const kids = keys.map((key) => key.kid);
    t.assert(
      kids.every((kid) => typeof kid === 'string' && kid.length > 0),
      'a key has no kid: verifiers cannot pick the right key during rotation',
    );
    const duplicates = kids.filter((kid, index) => kids.indexOf(kid) !== index);
    t.assert(duplicates.length === 0, `kid reused by several keys: ${[...new Set(duplicates)].join(', ')}`);
    for (const key of keys) {
      const label = `key ${String(key.kid)}`;
      if (key.kty === 'RSA') {
        const bits = Buffer.from(String(key.n ?? ''), 'base64url').length * 8;
        t.note(`${label}: RSA ${bits} bits`);
        t.assert(bits >= 2048, `${label} is RSA ${bits} bits; at least 2048 are required`);
      }
      if (key.use !== undefined) t.assert(key.use === 'sig' || key.use === 'enc', `${label} has use ${JSON.stringify(key.use)}`);
      if (typeof key.alg === 'string') {
        const family = algFamilies[String(key.kty)];
        t.assert(!family || family.test(key.alg), `${label} is kty ${String(key.kty)} but alg ${key.alg}`);
        if (key.use === 'sig')
          t.assert(!/^(RSA-OAEP|RSA1_5|ECDH)/.test(key.alg), `${label} is use sig with encryption alg ${key.alg}`);
      }
    }
    t.passReason(`${keys.length} key(s) with unique kids`);
  },
});
