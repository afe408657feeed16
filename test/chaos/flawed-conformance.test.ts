/**
 * The flawed resource servers of the chaos tests are flawed only under failure: without a fault
 * each one passes the plain conformance suites of its kind (rs-claims and rs-errors for the JWT
 * ones, rs-errors for the introspection ones), so a resilience check that fails one fails
 * because of its flaw under the fault, not because of a conformance bug.
 */
import { describe, expect, it } from 'vitest';
import { profileSchema } from '../../harness/profile/schema.ts';
import type { Target } from '../../harness/runner/target.ts';
import { type ChaosFlaw, chaosFlaws, startFlawedChaosRs, subjectOfFlaw } from '../support/flawed-chaos-rs.ts';
import { runSelected } from '../support/run-checks.ts';
import { sharedChaosStack } from './run-gameday.ts';

const prepared = sharedChaosStack();

function targetFor(protectedUrl: string, flaw: ChaosFlaw): Target {
  const { environment } = prepared;
  const base = environment.target.profile;
  if (subjectOfFlaw[flaw] === 'jwt')
    return {
      name: `flawed RS (${flaw})`,
      profile: profileSchema.parse({
        name: `flawed RS (${flaw})`,
        resourceServer: { ...base.resourceServer, url: protectedUrl },
      }),
      baseDir: process.cwd(),
      testIssuer: environment.testIssuer!,
    };
  return {
    name: `flawed RS (${flaw})`,
    profile: profileSchema.parse({
      name: `flawed RS (${flaw})`,
      issuer: { url: base.issuer!.url, clients: { primary: base.issuer!.clients!.primary } },
      resourceServer: { url: protectedUrl, audience: base.propagation!.audience, trusts: 'issuer' },
    }),
    baseDir: process.cwd(),
  };
}

describe('each flawed chaos RS passes the plain conformance suites', () => {
  for (const flaw of chaosFlaws) {
    const suites = subjectOfFlaw[flaw] === 'jwt' ? ['rs-claims', 'rs-errors'] : ['rs-errors'];
    it(`${flaw}: ${suites.join(', ')}`, async () => {
      const rs = await startFlawedChaosRs(prepared.environment.chaos!, subjectOfFlaw[flaw], flaw, {
        secondarySecret: prepared.environment.credentials!['TOKENPROOF_SECONDARY_SECRET']!,
        jwksUri: prepared.environment.testIssuer!.jwksUri,
      });
      try {
        const results = [...(await runSelected(targetFor(rs.protectedUrl, flaw), { suites })).values()];
        const failing = results.filter((result) => result.outcome === 'fail' || result.outcome === 'error');
        expect(failing.map((result) => `${result.catalog ?? result.id} ${result.outcome}: ${result.reason}`)).toEqual([]);
        // rs-claims S01-S29 and rs-errors E01-E07 examine the RS, not skip it.
        expect(results.filter((result) => result.outcome === 'pass').length).toBeGreaterThanOrEqual(suites.length === 2 ? 30 : 4);
      } finally {
        await rs.close();
      }
    }, 120_000);
  }
});
