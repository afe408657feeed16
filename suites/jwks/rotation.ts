// suites/jwks/rotation.ts
import { createLocalJWKSet, jwtVerify } from 'jose';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { StepError } from '../../harness/runner/verdict.ts';
import { fetchJwks, jwsHeader, requireKeys } from './fetch-jwks.ts';

const rotationDeadlineMs = 20_000;

export default check({
  id: 'jwks.rotation',
  catalog: 'K05',
  title: 'Key rotation publishes the new key before use and keeps the old one while its tokens live',
  spec: ['RFC7517-5', 'RFC8725-3.11', 'OIDC-Core-10.1.1'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient', 'keyRotation'],
  timeoutMs: 40_000,
  async run(t: CheckContext) {
    const before = await t.steps.clientCredentialsToken();
    const oldKid = jwsHeader(before.access_token)?.kid;
    if (oldKid === undefined) t.skip('the issuer returns opaque access tokens (not JWTs)');
    const kidsBefore = new Set((await requireKeys(t)).map((key) => key.kid));

    const rotate = t.profile.issuer!.admin!.rotateKeys!;
    const answer = await t.fetch(rotate.url, {
      method: rotate.method,
      headers: rotate.headers,
      ...(rotate.body !== undefined && { body: rotate.body }),
    });
    if (!answer.ok) throw new StepError(`the rotation request ${rotate.method} ${rotate.url} answered HTTP ${answer.status}`);

    // Issue tokens until one is signed by a new key; the JWKS fetched just before each token must
    // already contain its kid (published before first use).
    const deadline = performance.now() + rotationDeadlineMs;
    let newKid: unknown;
    while (performance.now() < deadline) {
      const published = new Set((await requireKeys(t)).map((key) => key.kid));
      const token = await t.steps.clientCredentialsToken();
      const kid = jwsHeader(token.access_token)?.kid;
      t.assert(published.has(kid), `a token was signed with kid ${String(kid)} before the JWKS published it`);
      if (kid !== oldKid) {
        newKid = kid;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    t.assert(newKid !== undefined, `no token was signed by a new key within ${rotationDeadlineMs / 1000} s of the rotation`);
    t.assert(!kidsBefore.has(newKid), `the new signing key reuses kid ${String(newKid)}`);

    const after = await fetchJwks(t);
    t.assert(
      after.keys?.some((key) => key.kid === oldKid),
      `the old key ${String(oldKid)} left the JWKS while tokens it signed are still valid`,
    );
    try {
      await jwtVerify(before.access_token, createLocalJWKSet({ keys: after.keys as never }));
    } catch (error) {
      t.fail(`a token signed before the rotation no longer verifies against the JWKS: ${(error as Error).message}`);
    }
    t.passReason(`rotated from ${String(oldKid)} to ${String(newKid)}; the old key stays published`);
  },
});
