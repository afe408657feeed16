import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeEstimate, type EntropyEstimate, estimateEntropy } from './entropy.ts';

const accessTokenSample = 16;
const refreshChain = 7;
const minimumBits = 128;

export default check({
  id: 'token-endpoint.token-entropy',
  catalog: 'T10',
  title: 'Access and refresh tokens carry at least 128 bits of entropy (estimated over a sample)',
  spec: ['RFC6749-10.10', 'RFC9700-4.14.2'],
  level: 'SHOULD',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    const accessTokens: string[] = [];
    for (let index = 0; index < accessTokenSample; index++)
      accessTokens.push((await t.steps.clientCredentialsToken()).access_token);
    const estimates: [string, EntropyEstimate][] = [['access tokens', estimateEntropy(accessTokens)]];

    // Refresh tokens: one login, then a refresh chain (each rotation yields a new token).
    if (t.profile.issuer?.login) {
      const user = await t.steps.userRefreshToken();
      const refreshTokens = [user.refreshToken];
      for (let index = 0; index < refreshChain; index++) {
        const next = (await t.steps.refreshOk(refreshTokens.at(-1)!, { auth: user.auth })).refresh_token;
        if (!next || refreshTokens.includes(next)) break;
        refreshTokens.push(next);
      }
      if (refreshTokens.length >= 2) estimates.push(['refresh tokens', estimateEntropy(refreshTokens)]);
      else t.note('the issuer does not rotate refresh tokens: one refresh token per login, too few to estimate');
    }
    for (const [kind, estimate] of estimates) t.note(describeEstimate(kind, estimate));
    for (const [kind, estimate] of estimates)
      t.assert(
        estimate.distinct === estimate.samples,
        `${kind}: ${estimate.samples - estimate.distinct} of ${estimate.samples} sampled tokens were issued twice`,
        'MUST',
      );
    const weak = estimates.filter(([, estimate]) => estimate.bits < minimumBits);
    t.assert(
      weak.length === 0,
      `${weak.map(([kind, estimate]) => describeEstimate(kind, estimate)).join('; ')}: below the ${minimumBits} bits RFC 6749 §10.10 asks for`,
    );
    t.passReason(estimates.map(([kind, estimate]) => describeEstimate(kind, estimate)).join('; '));
  },
});
