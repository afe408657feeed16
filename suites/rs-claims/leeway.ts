// S29: how far past exp (and before nbf) the RS still accepts a token, bisected to one second.
// RFC 7519 §4.1.4 allows "some small leeway, usually no more than a few minutes": above 300 s (5
// min, ASP.NET JwtBearer's default ClockSkew) is a failure, as CHECKS.md grades it; up to 300 s
// passes with the measured leeway in the reason and a note (CHECKS.md warns above 60 s: a few
// minutes are within the RFC's words, so that warning is not made).
import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import type { TestKeyAlg } from '../../harness/test-issuer/keys.ts';
import { harnessControl } from './forged.ts';

const ceiling = 3600;
const floor = -60;
const failAbove = 300;

export default check({
  id: 'rs-claims.leeway',
  catalog: 'S29',
  title: 'The exp/nbf leeway is small (bisected to 1 s): a few minutes at most, never above 300 s',
  spec: ['RFC7519-4.1.4', 'RFC7519-4.1.5'],
  level: 'MUST',
  needs: ['resourceServer'],
  async run(t: CheckContext) {
    const control = await harnessControl(t, 'a key the RS trusts, to sign chosen exp and nbf');
    const testIssuer = t.target.testIssuer!;
    const forger = testIssuer.forger.withTyp(control.typ);
    const alg = control.algs[0] as TestKeyAlg;
    let probes = 0;
    const accepts = async (token: string) => {
      probes++;
      t.redactor.register(token);
      const answer = await t.steps.resourceServer.withBearer(token);
      if (answer.status === 0 || answer.status >= 500)
        t.error(`the RS gave no usable answer to a leeway probe (${answer.status ? `HTTP ${answer.status}` : answer.text})`);
      return answer.status >= 200 && answer.status < 300;
    };
    const key = () => testIssuer.keys.current(alg);
    // overshoot s: how many seconds past exp (or before nbf) the token is presented
    const probeExp = (overshoot: number) => accepts(forger.expiringIn(-overshoot, { key: key() }));
    const probeNbf = (overshoot: number) => accepts(forger.notBeforeIn(overshoot, { key: key() }));

    const bisect = async (name: string, probe: (overshoot: number) => Promise<boolean>): Promise<number> => {
      if (!(await probe(floor)))
        t.error(`a token whose ${name} is ${-floor} s on the valid side was refused: the RS's clock may be off`);
      if (await probe(ceiling)) return ceiling;
      let accepted = floor;
      let refused = ceiling;
      while (refused - accepted > 1) {
        const middle = Math.floor((accepted + refused) / 2);
        if (await probe(middle)) accepted = middle;
        else refused = middle;
      }
      return accepted;
    };
    const expLeeway = await bisect('exp', probeExp);
    const nbfLeeway = await bisect('nbf', probeNbf);
    const shown = (seconds: number) => (seconds >= ceiling ? `at least ${ceiling} s` : `${Math.max(seconds, 0)} s`);
    const found = `accepts tokens up to ${shown(expLeeway)} past exp and ${shown(nbfLeeway)} before nbf (bisected to 1 s, ${probes} probes)`;
    t.note(found);
    const worst = Math.max(expLeeway, nbfLeeway);
    if (worst > failAbove) t.fail(`${found}: above ${failAbove} s`);
    t.passReason(`${found}: within RFC 7519 §4.1.4's "no more than a few minutes" (at most ${failAbove} s)`);
  },
});
