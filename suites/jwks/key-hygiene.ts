import { calculateJwkThumbprint, type JWK } from 'jose';
import { type JwsAlgorithm, jwsAlgorithms } from '../../harness/oauth/algorithms.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import type { Jwk } from '../../harness/steps/index.ts';

/** JWE key-management algorithms and the key type each needs (RFC 7518 §4.2, §4.3, §4.6; RFC 8037 §3.2). */
const jweKeyTypes: [RegExp, string[]][] = [
  [/^(RSA1_5|RSA-OAEP(-256|-384|-512)?)$/, ['RSA']],
  [/^ECDH-ES(\+A(128|192|256)KW)?$/, ['EC', 'OKP']],
];

/** The key types an algorithm works with; undefined for an algorithm this table does not know (not judged). */
function keyTypesFor(alg: string): string[] | undefined {
  if (alg in jwsAlgorithms) return [jwsAlgorithms[alg as JwsAlgorithm].kty];
  if (alg === 'ES256K') return ['EC'];
  if (alg === 'Ed25519' || alg === 'Ed448') return ['OKP'];
  return jweKeyTypes.find(([pattern]) => pattern.test(alg))?.[1];
}

const isEncryptionAlg = (alg: string) => jweKeyTypes.some(([pattern]) => pattern.test(alg));
const signatureOps = ['sign', 'verify'];
const encryptionOps = ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey', 'deriveKey', 'deriveBits'];

/** The exact bit length of an RSA modulus (a non-minimal encoding with leading zero octets does not count them). */
function modulusBits(n: unknown): number {
  const bytes = Buffer.from(String(n ?? ''), 'base64url');
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  if (start === bytes.length) return 0;
  return (bytes.length - start - 1) * 8 + (32 - Math.clz32(bytes[start]!));
}

async function thumbprint(key: Jwk): Promise<string | undefined> {
  try {
    return await calculateJwkThumbprint(key as JWK);
  } catch {
    return undefined;
  }
}

/**
 * RFC 7517 §4.5: kid is OPTIONAL, and "different keys within the JWK Set SHOULD use distinct kid
 * values" — keys of different kty under one kid are the RFC's own allowed example, and the same
 * key listed twice is not two keys. So a kid shared by different keys of one type is a SHOULD
 * finding, and a missing kid matters only when the set has several keys (OIDC Core §10.1: tokens
 * then carry a kid, which must find its key). RSA keys below 2048 bits are a MUST failure (RFC 7518
 * §3.3, §3.5, §4.2, §4.3); an alg the key type cannot serve (RFC 7518 §3.1, §4.1) and use/key_ops
 * that contradict each other (RFC 7517 §4.3: "MUST be consistent") are MUST failures. `use` values
 * other than sig/enc are allowed (§4.2: "Other values MAY be used").
 */
export default check({
  id: 'jwks.key-hygiene',
  catalog: 'K03',
  title: 'Keys have distinct kids, RSA keys are at least 2048 bits, use/alg fit the key type',
  spec: ['RFC7517-4.5', 'RFC7518-3.3', 'RFC7517-4.2', 'RFC7517-4.3', 'RFC7517-4.4'],
  level: 'MUST',
  needs: ['issuer'],
  async run(t: CheckContext) {
    const keys = await t.steps.requireKeys();
    if (keys.length === 0) t.skip('the JWKS is empty: no key to examine (K01 reports that)');

    const withoutKid = keys.filter((key) => typeof key.kid !== 'string' || key.kid.length === 0);
    if (withoutKid.length > 0 && keys.length > 1)
      t.warn(`${withoutKid.length} of ${keys.length} keys have no kid: a verifier cannot pick the right key during rotation`);
    const byKid = new Map<string, Jwk[]>();
    for (const key of keys) if (typeof key.kid === 'string') byKid.set(key.kid, [...(byKid.get(key.kid) ?? []), key]);
    for (const [kid, sharing] of byKid) {
      if (sharing.length < 2) continue;
      const prints = new Map<string, Set<string>>();
      for (const key of sharing) {
        const kty = String(key.kty);
        prints.set(kty, (prints.get(kty) ?? new Set()).add((await thumbprint(key)) ?? JSON.stringify(key)));
      }
      const clashing = [...prints].filter(([, distinct]) => distinct.size > 1).map(([kty]) => kty);
      if (clashing.length)
        t.warn(`kid ${kid} names several different ${clashing.join('/')} keys: a verifier may try the wrong one (RFC 7517 §4.5)`);
      else
        t.note(
          `kid ${kid} is shared by ${sharing.length} entries of different key types or the same key: allowed (RFC 7517 §4.5)`,
        );
    }

    for (const key of keys) {
      const label = `key ${String(key.kid ?? '(no kid)')}`;
      if (key.kty === 'RSA') {
        const bits = modulusBits(key.n);
        t.note(`${label}: RSA ${bits} bits`);
        t.assert(bits >= 2048, `${label} is RSA ${bits} bits; at least 2048 are required`);
      }
      if (key.use !== undefined && key.use !== 'sig' && key.use !== 'enc') t.note(`${label} has use ${JSON.stringify(key.use)}`);
      if (typeof key.alg === 'string') {
        const kinds = keyTypesFor(key.alg);
        if (!kinds) t.note(`${label}: alg ${key.alg} is not one this check knows; not judged`);
        t.assert(!kinds || kinds.includes(String(key.kty)), `${label} is kty ${String(key.kty)} but alg ${key.alg}`);
        if (key.use === 'sig') t.assert(!isEncryptionAlg(key.alg), `${label} is use sig but has the encryption alg ${key.alg}`);
        if (key.use === 'enc') t.assert(!(key.alg in jwsAlgorithms), `${label} is use enc but has the signature alg ${key.alg}`);
      }
      if (Array.isArray(key.key_ops) && (key.use === 'sig' || key.use === 'enc')) {
        const allowed = key.use === 'sig' ? signatureOps : encryptionOps;
        const contradicting = key.key_ops.filter((op) => !allowed.includes(String(op)));
        t.assert(
          contradicting.length === 0,
          `${label} is use ${key.use} but key_ops has ${contradicting.join(', ')}: RFC 7517 §4.3 says they MUST be consistent`,
        );
      }
    }
    t.passReason(`${keys.length} key(s): kids, sizes and algorithms fit`);
  },
});
