import { check } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { describeAnswer, isAccepted } from '../rs-errors/answers.ts';
import { afterValidDpop, dpopSession } from './proofs.ts';

/** Bisection stops when the accepted and refused offsets are this close (seconds). */
const resolution = 5;
/** A year (seconds): a proof accepted this far from now has no time limit worth the name. */
const year = 365 * 86_400;

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
    // RFC 9449 §11.1's one MUST is that proofs are accepted "for a limited time after their
    // creation"; how long is a preference ("preferably ... on the order of seconds or minutes"), and
    // accepting a proof from the near future is a MAY (the Note). So: a proof a year old (or ahead)
    // accepted is the unbounded window the MUST forbids; ±1 h and ±300 s accepted, or ±10 s refused,
    // are SHOULD-level findings. §4.3 (check 11) lets a server that issues nonces judge freshness by
    // the nonce instead of iat, so with nonces even the year is a warn.
    const nearAccepted: Record<number, boolean> = {};
    for (const offset of [-10, 10]) {
      nearAccepted[offset] = await accepts(offset);
      t.should(
        nearAccepted[offset],
        `a proof with iat ${signed(offset)} s was refused: clock differences that small are normal; RFC 9449 §11.1 leaves the window to the server (MAY accept near-future iat), but a window this narrow refuses ordinary clients`,
      );
    }
    const unbounded: number[] = [];
    for (const offset of [-year, year]) if (await accepts(offset)) unbounded.push(offset);
    const farAccepted: number[] = [];
    for (const offset of [-3600, 3600]) if (await accepts(offset)) farAccepted.push(offset);
    const window = {
      past: await edge(accepts, -1, nearAccepted[-10] ? 10 : 0),
      future: await edge(accepts, 1, nearAccepted[10] ? 10 : 0),
    };
    const observed = `accepted iat from ${describeEdge(window.past, -1)} to ${describeEdge(window.future, 1)}`;
    t.note(`observed iat window: ${observed}`);
    if (unbounded.length) {
      const finding = `proofs with iat ${unbounded.map((offset) => `${signed(offset / 86_400)} days`).join(' and ')} were accepted (${observed}): iat is not bounded, and a captured proof stays usable indefinitely (RFC 9449 §11.1: MUST only accept DPoP proofs for a limited time after their creation)`;
      if (support.nonce) t.warn(`${finding}; the RS uses nonces, which may bound freshness instead (§4.3)`);
      else t.fail(finding);
    }
    if (farAccepted.length) {
      t.warn(
        `proofs with iat ${farAccepted.map((offset) => `${signed(offset)} s`).join(' and ')} were accepted (${observed}): a captured proof stays usable that long; RFC 9449 §11.1: preferably only "on the order of seconds or minutes" (a preference, not a MUST)${support.nonce ? '; the RS uses nonces, which may bound freshness instead' : ''}`,
      );
    }
    for (const offset of [-300, 300]) {
      t.should(
        !(offset < 0 ? window.past.accepted <= offset : window.future.accepted >= offset),
        `a proof with iat ${signed(offset)} s is accepted (${observed}); RFC 9449 §11.1: keep the window short`,
      );
    }
    t.passReason(`iat ±10 s accepted, ±1 h and ±1 year refused; ${observed}`);
  },
});

interface Edge {
  /** The farthest offset seen accepted (seconds, signed). */
  accepted: number;
  /** The nearest offset seen refused, if any within an hour. */
  refused: number | undefined;
}

/** Bisects between `from` (accepted: 10 s, or now when ±10 s was refused) and an hour in one direction to within `resolution` seconds. */
async function edge(accepts: (offset: number) => Promise<boolean>, direction: 1 | -1, from: number): Promise<Edge> {
  let low = from;
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
