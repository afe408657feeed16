import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { jwtClaims } from './answers.ts';

/** Beyond this the clocks disagree enough to break validation (a typical RS leeway is 60 s). */
const maxSkewSeconds = 300;
const warnSkewSeconds = 60;
/** A NumericDate above this is milliseconds: 10^11 seconds is the year 5138. */
const millisecondsThreshold = 1e11;

export default check({
  id: 'token-endpoint.timestamps',
  catalog: 'T12',
  title: 'iat is near the harness clock, exp after iat, both in seconds (not milliseconds)',
  spec: ['RFC7519-4.1.4', 'RFC7519-4.1.6', 'RFC7519-2', 'RFC9068-2.2'],
  level: 'MUST',
  needs: ['issuer', 'primaryClient'],
  async run(t: CheckContext) {
    const answer = await t.steps.clientCredentialsToken();
    const now = Date.now() / 1000;
    const claims = jwtClaims(answer.access_token);
    if (!claims) t.skip('the issuer returns opaque access tokens: no iat/exp to examine');
    const { iat, exp, nbf } = claims;
    t.note(
      `iat ${JSON.stringify(iat)}, exp ${JSON.stringify(exp)}, nbf ${JSON.stringify(nbf)}, harness clock ${Math.floor(now)}`,
    );
    t.assert(typeof exp === 'number', `exp is ${JSON.stringify(exp)}, not a NumericDate (RFC 7519 §2, §4.1.4)`);
    for (const [name, value] of [
      ['iat', iat],
      ['exp', exp],
      ['nbf', nbf],
    ] as const) {
      if (value === undefined) continue;
      t.assert(typeof value === 'number', `${name} is ${JSON.stringify(value)}, not a NumericDate (RFC 7519 §2)`);
      t.assert(value < millisecondsThreshold, `${name} ${value} is in milliseconds: a NumericDate counts seconds (RFC 7519 §2)`);
    }
    if (typeof iat === 'number') {
      t.assert(exp > iat, `exp ${exp} is not after iat ${iat}`);
      const skew = Math.round(iat - now);
      t.assert(Math.abs(skew) <= maxSkewSeconds, `iat is ${skew} s from the harness clock (more than ±${maxSkewSeconds} s)`);
      t.should(Math.abs(skew) <= warnSkewSeconds, `iat is ${skew} s from the harness clock (more than ±${warnSkewSeconds} s)`);
    } else {
      t.assert(exp > now - maxSkewSeconds, `a fresh token has exp ${exp}, already in the past`);
    }
    if (typeof answer.expires_in === 'number' && typeof iat === 'number')
      t.should(
        Math.abs(exp - iat - answer.expires_in) <= 5,
        `exp − iat is ${exp - iat} s but expires_in says ${answer.expires_in} s`,
      );
    t.passReason(
      `iat ${typeof iat === 'number' ? `${Math.round(iat - now)} s from the harness clock` : 'absent'}, lifetime ${typeof iat === 'number' ? `${exp - iat} s` : `until ${exp}`}, in seconds`,
    );
  },
});
