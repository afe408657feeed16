/**
 * S15 without a declared key cache window: the check waits its default 60 s and grades a miss as
 * a warning naming the missing declaration (OIDC Core §10.1.1 describes the refetch, it sets no
 * time). To keep this file fast, the 60 s wait is shortened to 3 s here (the poll is wrapped; the
 * check and the never-refreshing RS are the real ones). The declared-window case is in
 * rs-claims.test.ts (`never-refreshes`: a MUST failure after the declared 3 s + 5 s).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { profileSchema } from '../../harness/profile/schema.ts';
import { type RunningTestIssuer, startHarnessIssuer } from '../../harness/test-issuer/server.ts';
import { longestWaitMs, rotationWait } from '../../suites/rs-claims/rotated-key.ts';
import { type FlawedRs, startFlawedRs } from '../support/flawed-rs.ts';
import { runSelected } from '../support/run-checks.ts';

vi.mock('../../harness/lib/poll.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../harness/lib/poll.ts')>();
  return {
    ...original,
    pollUntil: ((probe, options) =>
      original.pollUntil(probe, {
        ...options,
        timeoutMs: options.timeoutMs === 60_000 ? 3_000 : options.timeoutMs,
      })) as typeof original.pollUntil,
  };
});

const audience = 'api://rs-claims-rotated';
let testIssuer: RunningTestIssuer;
const running: FlawedRs[] = [];

beforeAll(async () => {
  testIssuer = await startHarnessIssuer({ audience, scope: 'read' });
});
afterAll(async () => {
  await Promise.all(running.map((rs) => rs.close()));
  await testIssuer.close();
});

/** A target with no resourceServer.jwksCacheWindow. */
async function undeclared(flaw?: 'never-refreshes') {
  const rs = await startFlawedRs({ testIssuer, audience, ...(flaw && { flaw }) });
  running.push(rs);
  const profile = profileSchema.parse({
    name: `flawed resource server, no cache window declared${flaw ? ` (${flaw})` : ''}`,
    resourceServer: { url: rs.protectedUrl, audience, scope: 'read', trusts: 'harness' },
  });
  return { name: profile.name, profile, baseDir: process.cwd(), testIssuer };
}

describe('S15 rs-claims.rotated-key without a declared cache window', () => {
  it('warns (SHOULD) when the rotated-in key is still refused, naming that no window was declared', async () => {
    const results = await runSelected(await undeclared('never-refreshes'), { checks: ['S15'] });
    expect(results.get('rs-claims.rotated-key')).toMatchObject({
      outcome: 'warn',
      reason: expect.stringMatching(/still refused after .*no resourceServer\.jwksCacheWindow declared.*does not refetch/),
    });
  });

  it('passes an RS that refetches on the unknown kid', async () => {
    const results = await runSelected(await undeclared(), { checks: ['S15'] });
    expect(results.get('rs-claims.rotated-key')).toMatchObject({
      outcome: 'pass',
      reason: expect.stringMatching(/accepted a token of the newly published key/),
    });
  });
});

describe('how long S15 waits', () => {
  it('waits the declared window + 5 s with no 60 s cap (ASP.NET JwtBearer: 5 min), a miss a MUST', () => {
    expect(rotationWait(300_000)).toMatchObject({ boundMs: 305_000, level: 'MUST' });
    expect(rotationWait(3_000)).toMatchObject({ boundMs: 8_000, level: 'MUST' });
  });
  it('waits 60 s without a declared window, a miss a SHOULD', () => {
    expect(rotationWait(undefined)).toMatchObject({ boundMs: 60_000, level: 'SHOULD' });
  });
  it('stops at its longest wait for a longer declared window, and then judges only at SHOULD', () => {
    expect(rotationWait(3_600_000)).toMatchObject({ boundMs: longestWaitMs, level: 'SHOULD' });
  });
});
