/**
 * Proof that the resilience checks can fail (introspection mode): each deliberately flawed resource server
 * (test/support/flawed-chaos-rs.ts, one flaw each) fails the check of its matching game day,
 * under real k6 load and real toxiproxy faults; the correct reference passes the same game days (reference-introspection.test.ts).
 */
import { describe } from 'vitest';
import type { ChaosFlaw } from '../support/flawed-chaos-rs.ts';
import { flawFailsCheck, sharedChaosStack } from './run-gameday.ts';

const prepared = sharedChaosStack();

const cases: [ChaosFlaw, string, string][] = [
  ['fails-open', 'idp-hang', 'C02'],
  ['no-introspection-cache', 'introspection-latency', 'C03'],
  ['never-recovers', 'idp-hang', 'C06'],
];

describe('flawed resource servers fail the resilience check of their game day', () => {
  flawFailsCheck(prepared, cases);
});
