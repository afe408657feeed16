/**
 * Proof that the resilience checks can fail (JWT mode): each deliberately flawed resource server
 * (test/support/flawed-chaos-rs.ts, one flaw each) fails the check of its matching game day,
 * under real k6 load and real toxiproxy faults, and the same in-process RS without the flaw passes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedEnvironment } from '../../harness/engine/environment.ts';
import { runFailed } from '../../harness/results/model.ts';
import { type ChaosFlaw, subjectOfFlaw } from '../support/flawed-chaos-rs.ts';
import { gamedayAgainst } from './flawed-rs.ts';
import { chaosEnvironment, explain, outcomes } from './run-gameday.ts';

let prepared: { environment: PreparedEnvironment; runDir: string };

beforeAll(async () => {
  prepared = await chaosEnvironment();
}, 120_000);

afterAll(async () => {
  await prepared?.environment.stop();
});

const cases: [ChaosFlaw, string, string][] = [
  ['drops-jwks-on-failed-refresh', 'idp-outage', 'C01'],
  ['follows-issuer-clock', 'clock-skew', 'C05'],
];

describe('flawed resource servers fail the resilience check of their game day', () => {
  for (const [flaw, gameday, code] of cases) {
    it(`${flaw}: ${gameday} fails ${code}`, async () => {
      const output = await gamedayAgainst(prepared, flaw, subjectOfFlaw[flaw], gameday);
      expect(outcomes(output)[code], explain(output)).toBe('fail');
      expect(runFailed({ checks: output.checks, slo: output.slo ?? [] })).toBe(true);
    }, 90_000);
  }

  it('the in-process RS without a flaw passes the game day the first flaw fails (the flaw is the difference)', async () => {
    const output = await gamedayAgainst(prepared, undefined, 'jwt', 'idp-outage');
    expect(outcomes(output), explain(output)).toMatchObject({ C01: 'pass', C06: 'pass', C07: 'pass' });
  }, 90_000);
});
