/**
 * The JWK members that carry private key material: `d` (EC, OKP: RFC 7518 §6.2.2, RFC 8037 §2),
 * the RSA private parameters `p`, `q`, `dp`, `dq`, `qi`, `oth` (RFC 7518 §6.3.2) and a
 * symmetric `k` (§6.4.1). A JWK with any of them is never a public key, wherever it was published.
 */
export const privateJwkMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

export function hasPrivateMembers(jwk: object): boolean {
  return privateJwkMembers.some((member) => Object.hasOwn(jwk, member));
}
