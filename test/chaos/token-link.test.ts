/**
 * The `token` link (load clients → issuer) on the embedded stack under real toxiproxy and k6: an
 * IdP outage for issuance is what the k6 clients see (their token calls fail in the fault window
 * and only there), the pool is minted straight, and the link is healthy again afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedEnvironment } from '../../harness/engine/environment.ts';
import type { PhaseStats } from '../../harness/faults/resilience.ts';
import { chaosEnvironment, explain, outcomes, runGameday } from './run-gameday.ts';

let prepared: { environment: PreparedEnvironment; runDir: string };

beforeAll(async () => {
  prepared = await chaosEnvironment();
}, 120_000);

afterAll(async () => {
  await prepared?.environment.stop();
});

describe('the token link between the load clients and the issuer', () => {
  it('issuance-outage: issuance fails in the outage only, then recovers (C06)', async () => {
    const output = await runGameday(prepared, 'issuance-outage');
    const details = output.details?.['chaos'] as {
      phases: PhaseStats[];
      links: { name: string; listen: string; upstream: string }[];
      notes: string[];
    };
    const byName = Object.fromEntries(details.phases.map((phase) => [phase.name, phase]));
    expect(byName['baseline']?.availability, explain(output)).toBeGreaterThanOrEqual(0.99);
    expect(byName['outage']?.legitimate, explain(output)).toBeGreaterThan(0);
    expect(byName['outage']?.availability, explain(output)).toBeLessThan(0.3);
    expect(byName['recovery']?.availability, explain(output)).toBeGreaterThanOrEqual(0.9);
    expect(outcomes(output), explain(output)).toMatchObject({ C06: 'pass' });
    const token = details.links.find((link) => link.name === 'token');
    expect(token?.upstream).toBe(new URL(prepared.environment.target.profile.issuer!.url).origin);
    expect(details.notes.some((note) => note.includes('through the token link'))).toBe(true);
    // Nothing left broken: the proxy is enabled and has no toxic.
    const chaos = prepared.environment.chaos!;
    const link = chaos.toxiproxy.links.get('token')!;
    expect(await chaos.toxiproxy.state(link)).toMatchObject({ enabled: true, toxics: [] });
  }, 90_000);
});
