import { calculateJwkThumbprint, type JWK } from 'jose';
import { pollUntil } from '../../harness/lib/poll.ts';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { type Jwk, jwsHeader, verifyWithKeys } from '../../harness/steps/index.ts';

const rotationDeadlineMs = 20_000;

async function thumbprints(keys: Jwk[]): Promise<Map<string, string>> {
  const byKid = new Map<string, string>();
  for (const key of keys) {
    if (typeof key.kid !== 'string') continue;
    byKid.set(key.kid, await calculateJwkThumbprint(key as JWK).catch(() => JSON.stringify(key)));
  }
  return byKid;
}

/**
 * A live rotation, graded as the catalog's K05 line says. MUST: every kid a token is signed with
 * resolves in the JWKS when the token is first seen (RFC 7517 §4.5, RFC 7515 §4.1.4: a verifier
 * refetches on an unknown kid and must then find it), and a kid never comes to name another key
 * (RFC 8725 §3.11 asks verifiers to trust the kid → key binding). SHOULD (OIDC Core §10.1.1): the
 * new key is published before it signs anything, and the old key stays while its tokens live.
 */
export default check({
  id: 'jwks.rotation',
  catalog: 'K05',
  title: 'Key rotation publishes the new key before use and keeps the old one while its tokens live',
  spec: ['RFC7517-4.5', 'RFC8725-3.11', 'OIDC-Core-10.1.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'keyRotation'],
  timeoutMs: 40_000,
  async run(t: CheckContext) {
    const before = await t.steps.clientCredentialsToken();
    const oldKid = jwsHeader(before.access_token)?.kid;
    if (oldKid === undefined) t.skip('the issuer returns opaque access tokens (or JWTs without kid): no kid to follow');
    const printsBefore = await thumbprints(await t.steps.requireKeys({ fresh: true }));

    await t.steps.rotateKeys();

    // Tokens until one is signed by a new key. The JWKS asked just before each token should
    // already have its kid (SHOULD); the JWKS asked right after must have it (MUST).
    const late = new Set<string>();
    const { value: newKid } = await pollUntil(
      async () => {
        const published = new Set((await t.steps.requireKeys({ fresh: true })).map((key) => key.kid));
        const token = await t.steps.clientCredentialsToken();
        const kid = jwsHeader(token.access_token)?.kid;
        if (!published.has(kid)) {
          late.add(String(kid));
          const after = await t.steps.requireKeys({ fresh: true });
          t.assert(
            after.some((key) => key.kid === kid),
            `a token was signed with kid ${String(kid)}, which the JWKS does not publish even after the token was issued`,
          );
        }
        return kid !== oldKid ? kid : undefined;
      },
      { timeoutMs: rotationDeadlineMs, intervalMs: 250, signal: t.signal },
    );
    t.assert(newKid !== undefined, `no token was signed by a new key within ${rotationDeadlineMs / 1000} s of the rotation`);
    if (late.size)
      t.warn(
        `kid ${[...late].join(', ')} signed a token before the JWKS published it: verifiers with a fresh cache refetch first`,
      );

    const after = await t.steps.requireKeys({ fresh: true });
    const printsAfter = await thumbprints(after);
    const reused = [...printsAfter].filter(([kid, print]) => printsBefore.has(kid) && printsBefore.get(kid) !== print);
    t.assert(
      reused.length === 0,
      `kid ${reused.map(([kid]) => kid).join(', ')} now names a different key than before the rotation`,
    );

    const oldKeys = after.filter((key) => key.kid === oldKid);
    if (oldKeys.length === 0) {
      t.warn(`the old key ${String(oldKid)} left the JWKS at once, while tokens it signed are still valid`);
    } else {
      const verified = await verifyWithKeys(before.access_token, oldKeys);
      t.assert(verified.key, `a token signed before the rotation no longer verifies against the JWKS: ${verified.error}`);
    }
    t.passReason(`rotated from ${String(oldKid)} to ${String(newKid)}; the new key was published first and the old one stays`);
  },
});
