import { randomBytes } from 'node:crypto';
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeAnswer, isAccepted, isRefusal, oauthChallenge } from './answers.ts';

/** Invalid tokens the RS must refuse: a token-shaped string nobody issued, and, with the test issuer, an expired and a tampered one. */
export function invalidTokens(t: CheckContext): { name: string; token: string }[] {
  const cases = [{ name: 'a random string no issuer made', token: `tokenproof-${randomBytes(24).toString('base64url')}` }];
  const testIssuer = t.target.profile.resourceServer?.trusts === 'harness' ? t.target.testIssuer : undefined;
  if (testIssuer) {
    const expired = testIssuer.forger.expiringIn(-3600);
    const valid = testIssuer.forger.accessToken();
    const [header, payload, signature] = valid.split('.');
    const flipped = Buffer.from(signature!, 'base64url');
    flipped[flipped.length >> 1]! ^= 0x01;
    cases.push(
      { name: 'a token that expired an hour ago', token: expired },
      { name: 'a token with an altered signature', token: `${header}.${payload}.${flipped.toString('base64url')}` },
    );
  }
  for (const { token } of cases) t.redactor.register(token);
  return cases;
}

export default check({
  id: 'rs-errors.invalid-token',
  catalog: 'E02',
  title: 'An invalid token is refused with a Bearer challenge (401, error="invalid_token")',
  spec: ['RFC6750-3', 'RFC6750-3.1'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const cases = invalidTokens(t);
    for (const { name, token } of cases) {
      const answer = await t.steps.resourceServer.withBearer(token);
      t.note(`${name}: ${describeAnswer(answer)}`);
      t.assert(!isAccepted(answer), `${name} was accepted (HTTP ${answer.status})`);
      t.assert(isRefusal(answer), `${name}: ${describeAnswer(answer)} instead of a refusal`);
      const challenge = oauthChallenge(answer);
      t.assert(
        challenge,
        `${name} was refused without a WWW-Authenticate Bearer challenge (${describeAnswer(answer)}); RFC 6750 §3: MUST`,
      );
      t.should(answer.status === 401, `${name}: HTTP ${answer.status} instead of 401 (RFC 6750 §3.1 invalid_token)`);
      t.should(
        challenge.params.error === 'invalid_token',
        `${name}: the challenge's error is ${challenge.params.error === undefined ? 'missing' : `"${challenge.params.error}"`} instead of "invalid_token" (RFC 6750 §3.1)`,
      );
    }
    t.passReason(`${cases.length} invalid tokens refused with 401 and a challenge naming invalid_token`);
  },
});
