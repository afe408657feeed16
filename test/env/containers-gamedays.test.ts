/**
 * Game days in the containers environment, on one stack in Docker (real toxiproxy container, real
 * k6, the reference issuer and resource servers as containers):
 * - introspection-latency on the `introspection` subject, an RS container in introspection mode
 *   started only when the game day asks for it, its introspection calls through the toxiproxy
 *   container's `introspection` proxy: the correct reference passes C03 and C06, and a token revoked
 *   in the slow phase is refused within the SLO;
 * - the same game day against a deliberately flawed introspection RS container (no introspection
 *   cache: every request waits for the slowed issuer) fails C03;
 * - issuance-outage on the `token` link, the published toxiproxy proxy the load clients reach the
 *   issuer through: issuance fails in the outage only, then recovers (C06).
 * Outside CI a machine without Docker skips; under CI=true a missing engine fails the file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PreparedEnvironment, prepareEnvironment } from '../../harness/engine/environment.ts';
import { listRunResources } from '../../harness/env/containers/run-resources.ts';
import type { PhaseStats } from '../../harness/faults/resilience.ts';
import { Redactor } from '../../harness/lib/redactor.ts';
import { runFailed } from '../../harness/results/model.ts';
import { expectIssuanceOutage, explain, outcomes, runGameday } from '../chaos/run-gameday.ts';

const hasDocker = process.env['CI'] === 'true' || spawnSync('docker', ['--version']).status === 0;

interface ChaosDetails {
  subject: string;
  resourceServer: string;
  phases: PhaseStats[];
  links: { name: string; listen: string; upstream: string }[];
  revocations: { revokedAtMs: number; refusedAtMs?: number; lateAcceptances: number }[];
  notes: string[];
}

describe.skipIf(!hasDocker)('game days in the containers environment', () => {
  let prepared: { environment: PreparedEnvironment; runDir: string };

  beforeAll(async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'tokenproof-containers-gamedays-'));
    prepared = {
      runDir,
      environment: await prepareEnvironment({ env: 'containers', runDir, redactor: new Redactor(), chaos: {} }),
    };
  }, 180_000);

  afterAll(async () => {
    const runId = prepared?.environment.containers?.id;
    await prepared?.environment.stop();
    if (prepared) rmSync(prepared.runDir, { recursive: true, force: true });
    // The game day's own RS containers go with the run too.
    if (runId) expect(await listRunResources(runId)).toEqual({ containers: [], networks: [] });
  }, 60_000);

  const roles = () => prepared.environment.containers!.containers.map((container) => container.role);

  it('introspection-latency: the introspection RS container keeps p95 on its cache and refuses the revoked token in time (C03, C06)', async () => {
    // Started on first use only: the stack itself has no introspection RS.
    expect(roles()).not.toContain('rs-introspection');
    const output = await runGameday(prepared, 'introspection-latency');
    const details = output.details?.['chaos'] as ChaosDetails;
    const stack = prepared.environment.containers!;
    const rs = stack.containers.find((container) => container.role === 'rs-introspection');
    expect(rs, 'the introspection RS container').toBeDefined();
    expect(details.subject).toBe('introspection');
    expect(details.resourceServer).toBe(`${rs!.url}/protected`);
    const issuerOrigin = new URL(prepared.environment.target.profile.issuer!.url).origin;
    const introspection = details.links.find((link) => link.name === 'introspection');
    // The RS container reaches the issuer through the toxiproxy container, on the run's network.
    expect(introspection).toMatchObject({
      listen: expect.stringMatching(/^http:\/\/tokenproof-[0-9a-f]+-toxiproxy:9403$/),
      upstream: issuerOrigin,
    });
    expect(outcomes(output), explain(output)).toMatchObject({ C03: 'pass', C06: 'pass' });
    expect(
      output.slo?.every((slo) => slo.ok),
      explain(output),
    ).toBe(true);
    expect(details.revocations, explain(output)).toHaveLength(1);
    expect(details.revocations[0]?.lateAcceptances).toBe(0);
    expect(details.revocations[0]?.refusedAtMs).toBeDefined();
  }, 90_000);

  it('introspection-latency fails C03 against a flawed introspection RS container (no introspection cache)', async () => {
    const flawed = await prepared.environment.containers!.chaos!.introspectionSubject('rs-no-cache', (config) => ({
      ...config,
      introspection: { ...config.introspection!, cacheTtl: '0s', negativeCacheTtl: '0s' },
    }));
    const output = await runGameday(prepared, 'introspection-latency', flawed);
    const details = output.details?.['chaos'] as ChaosDetails | undefined;
    expect(details?.resourceServer).toBe(flawed.resourceServer.url);
    expect(outcomes(output)['C03'], explain(output)).toBe('fail');
    expect(runFailed({ checks: output.checks, slo: output.slo ?? [] })).toBe(true);
  }, 90_000);

  it('issuance-outage: the load reaches the issuer through the published token proxy; issuance fails in the outage only (C06)', async () => {
    await expectIssuanceOutage(prepared);
  }, 90_000);
});
