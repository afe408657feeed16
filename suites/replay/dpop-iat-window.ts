import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeAnswer, isAccepted } from '../rs-errors/answers.ts';
import { afterValidDpop, dpopSession } from './proofs.ts';

/** Bisection stops when the accepted and refused offsets are this close (seconds). */
const resolution = 5;

export default check({
  id: 'replay.dpop-iat-window',
  catalog: 'P04',
  title: 'Proofs with an iat far from now are refused, near ones accepted; the window is reported',
  spec: ['RFC9449-4.3', 'RFC9449-11.1'],
  level: 'MUST',
  needs: ['resourceServer'],
  dependsOn: afterValidDpop,
  async run(t: CheckContext) {
    const session = await dpopSession(t);
    const support = await t.steps.dpop.support();
    const accepts = async (offset: number): Promise<boolean> => {
      const iat = Math.floor(Date.now() / 1000) + offset;
      const answer = await t.steps.dpop.send(session, t.steps.dpop.proof(session, { claims: { iat } }));
      if (answer.status === 0 || answer.status >= 500) t.fail(`a proof with iat ${signed(offset)} s: ${describeAnswer(answer)}`);
      return isAccepted(answer);
    };
    const near = [-10, 10];
    for (const offset of near) {
      t.assert(
        await accepts(offset),
        `a proof with iat ${signed(offset)} s was refused: clock differences that small are normal`,
      );
    }
    const farAccepted: number[] = [];
    for (const offset of [-3600, 3600]) if (await accepts(offset)) farAccepted.push(offset);
    const window = { past: await edge(accepts, -1), future: await edge(accepts, 1) };
    const observed = `accepted iat from ${describeEdge(window.past, -1)} to ${describeEdge(window.future, 1)}`;
    t.note(`observed iat window: ${observed}`);
    if (farAccepted.length) {
      const finding = `proofs with iat ${farAccepted.map((offset) => `${signed(offset)} s`).join(' and ')} were accepted (${observed}): a captured proof stays usable that long`;
      // §4.3 lets a server that issues nonces judge freshness by the nonce instead of iat.
      if (support.nonce) t.warn(`${finding}; the RS uses nonces, which may bound freshness instead`);
      else t.fail(finding);
    }
    for (const offset of [-300, 300]) {
      t.should(
        !(offset < 0 ? window.past.accepted <= offset : window.future.accepted >= offset),
        `a proof with iat ${signed(offset)} s is accepted (${observed}); RFC 9449 §11.1: keep the window short`,
      );
    }
    t.passReason(`iat ±10 s accepted, ±1 h refused; ${observed}`);
  },
});

interface Edge {
  /** The farthest offset seen accepted (seconds, signed). */
  accepted: number;
  /** The nearest offset seen refused, if any within an hour. */
  refused: number | undefined;
}

/** Bisects between 10 s (accepted) and an hour in one direction to within `resolution` seconds. */
async function edge(accepts: (offset: number) => Promise<boolean>, direction: 1 | -1): Promise<Edge> {
  let low = 10;
  let high = 3600;
  if (await accepts(direction * high)) return { accepted: direction * high, refused: undefined };
  while (high - low > resolution) {
    const middle = Math.floor((low + high) / 2);
    if (await accepts(direction * middle)) low = middle;
    else high = middle;
  }
  return { accepted: direction * low, refused: direction * high };
}

function describeEdge(edgeSeen: Edge, direction: 1 | -1): string {
  if (edgeSeen.refused === undefined) return `${direction < 0 ? 'more than an hour before' : 'more than an hour after'} now`;
  return `${signed(edgeSeen.accepted)} s (refused at ${signed(edgeSeen.refused)} s)`;
}

function signed(seconds: number): string {
  return seconds > 0 ? `+${seconds}` : String(seconds);
}
