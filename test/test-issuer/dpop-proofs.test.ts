import { describe, expect, it } from 'vitest';
import { verifyDpopProof } from '../../harness/oauth/dpop.ts';
import { ReplayCache } from '../../harness/oauth/replay-cache.ts';
import { forgeDpopProofs, generateDpopKey, jktOf } from '../../harness/test-issuer/dpop-proofs.ts';

// The reference verifier (harness/oauth/dpop.ts) is the model of a correct RS for these proofs.
describe('forged DPoP proofs', () => {
  it('each proof is accepted or refused by a correct DPoP verifier as it says', async () => {
    const key = generateDpopKey();
    const jkt = await jktOf(key);
    const nowSeconds = Math.floor(Date.now() / 1000);
    const request = { htm: 'GET', htu: 'http://127.0.0.1:9500/protected', accessToken: 'opaque-access-token', nowSeconds };
    const proofs = forgeDpopProofs(key, request);
    expect(new Set(proofs.map((proof) => proof.name)).size).toBe(proofs.length);
    expect(new Set(proofs.map((proof) => proof.check))).toEqual(new Set(['P01', 'P03', 'P04', 'P05', 'P06']));
    const wrong: string[] = [];
    for (const proof of proofs) {
      const outcome = await verifyDpopProof({
        proof: proof.proof,
        method: request.htm,
        url: request.htu,
        nowSeconds,
        maxSkewSeconds: 60,
        accessToken: request.accessToken,
        expectedJkt: jkt,
        replayCache: new ReplayCache(),
        errorCode: 'invalid_token',
      }).then(
        () => 'accept',
        () => 'reject',
      );
      if (outcome !== proof.expect) wrong.push(`${proof.name}: expected ${proof.expect}, got ${outcome}`);
    }
    expect(wrong).toEqual([]);
  });

  it('adds a default-port variant only when the URL has no explicit port', () => {
    const key = generateDpopKey();
    const request = { htm: 'POST', htu: 'http://rs.example/api', accessToken: 't', nowSeconds: 0 };
    expect(forgeDpopProofs(key, request).map((proof) => proof.name)).toContain('htu-default-port');
    expect(forgeDpopProofs(key, { ...request, htu: 'http://rs.example:8080/api' }).map((proof) => proof.name)).not.toContain(
      'htu-default-port',
    );
  });
});
