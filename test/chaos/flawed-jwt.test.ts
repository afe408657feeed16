/**
 * Proof that the resilience checks can fail (JWT mode): each deliberately flawed resource server
 * (test/support/flawed-chaos-rs.ts, one flaw each) fails the check of its matching game day,
 * under real k6 load and real toxiproxy faults, and the same in-process RS without the flaw passes it.
 */
import { describe, expect, it } from 'vitest';
import type { ChaosFlaw } from '../support/flawed-chaos-rs.ts';
import { explain, flawFailsCheck, gamedayAgainst, outcomes, sharedChaosStack } from './run-gameday.ts';

const prepared = sharedChaosStack();

const cases: [ChaosFlaw, string, string][] = [
  ['drops-jwks-on-failed-refresh', 'idp-outage', 'C01'],
  ['follows-issuer-clock', 'clock-skew', 'C05'],
];

describe('flawed resource servers fail the resilience check of their game day', () => {
  flawFailsCheck(prepared, cases);

  it('the in-process RS without a flaw passes the game day the first flaw fails (the flaw is the difference)', async () => {
    const output = await gamedayAgainst(prepared, undefined, 'jwt', 'idp-outage');
    expect(outcomes(output), explain(output)).toMatchObject({ C01: 'pass', C06: 'pass', C07: 'pass' });
  }, 90_000);
});
