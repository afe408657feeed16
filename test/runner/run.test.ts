/** The check runner's verdict rules, with synthetic checks against a tiny local discovery server. */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../harness/lib/errors.ts';
import { Redactor } from '../../harness/lib/redactor.ts';
import { profileSchema } from '../../harness/profile/schema.ts';
import { type SloVerdict, summarize } from '../../harness/results/model.ts';
import { type CheckDefinition, check, suite } from '../../harness/runner/check.ts';
import type { CheckContext } from '../../harness/runner/context.ts';
import { runChecks, selectChecks } from '../../harness/runner/run.ts';
import type { Target } from '../../harness/runner/target.ts';
import { StepError } from '../../harness/runner/verdict.ts';

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/.well-known/openid-configuration') {
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({ issuer: url, grant_types_supported: ['client_credentials'], token_endpoint: `${url}/token` }),
      );
    } else if (request.url === '/slow') {
      // never answers: the per-check limit must end the check
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function target(extra: Record<string, unknown> = {}): Target {
  const profile = profileSchema.parse({ name: 'synthetic', issuer: { url, ...extra }, timeouts: { check: '1s', request: '5s' } });
  return { name: 'synthetic', profile, baseDir: process.cwd() };
}

const make = (id: string, run: (t: CheckContext) => Promise<void>, more: Partial<CheckDefinition> = {}) =>
  check({ id: `synthetic.${id}`, title: id, spec: ['RFC0000-1'], level: 'MUST', run, ...more });

const checks = [
  make('passes', async (t: CheckContext) => {
    await t.steps.discovery();
    t.passReason('found the document');
  }),
  make('fails', async (t: CheckContext) => t.fail('the server did X')),
  make('warns', async (t: CheckContext) => t.assert(false, 'the server did Y'), { level: 'SHOULD' }),
  make('skips', async (t: CheckContext) => t.skip('not applicable here')),
  make('step-error', async () => {
    throw new StepError('the target could not issue a token');
  }),
  make('crashes', async () => {
    throw new TypeError('undefined is not a function');
  }),
  make('hangs', async (t: CheckContext) => {
    await t.fetch(`${url}/slow`);
  }),
  make('needs-rs', async () => {}, { needs: ['resourceServer'] }),
  make('needs-dpop', async (t: CheckContext) => t.passReason('ran'), { requires: ['dpop'] }),
  make('fapi-only', async () => {}, { profiles: ['fapi2'] }),
  make('leaks', async (t: CheckContext) => t.fail('secret value super-secret-value-123 in the reason')),
  make('no-verdict', async (t: CheckContext) => {
    await t.steps.discovery();
  }),
  make('soft-finding', async (t: CheckContext) => {
    t.warn('the refetch cool-down is missing');
    t.passReason('refused the unknown kid');
  }),
  make('soft-then-hard', async (t: CheckContext) => {
    t.should(false, 'minor thing');
    t.fail('major thing');
  }),
  make('graded', async (t: CheckContext) => t.fail('leeway is 120 s', 'SHOULD')),
  make('control', async (t: CheckContext) => t.fail('the valid token was refused')),
  make('dependant', async (t: CheckContext) => t.passReason('would pass vacuously'), { dependsOn: ['synthetic.control'] }),
];
const synthetic = suite('synthetic', 'Synthetic', checks);

describe('runChecks', () => {
  it('maps every way a check can end to its outcome and reason', async () => {
    const redactor = new Redactor();
    redactor.register('super-secret-value-123');
    const seen: string[] = [];
    const checksRun = await runChecks({
      target: target(),
      checks: synthetic.checks,
      reporters: [{ name: 'spy', onCheckEnd: (r) => void seen.push(r.id), onEnd: () => [] }],
      redactor,
    });
    const by = Object.fromEntries(checksRun.map((r) => [r.id.replace('synthetic.', ''), r]));
    expect(by.passes).toMatchObject({ outcome: 'pass', reason: 'found the document' });
    expect(by.passes!.evidence.exchanges[0]!.response!.status).toBe(200);
    expect(by.fails).toMatchObject({ outcome: 'fail', reason: 'the server did X' });
    expect(by.warns).toMatchObject({ outcome: 'warn', reason: 'the server did Y' });
    expect(by.skips).toMatchObject({ outcome: 'skip', reason: 'not applicable here' });
    expect(by['step-error']).toMatchObject({ outcome: 'error', reason: 'the target could not issue a token' });
    expect(by.crashes).toMatchObject({ outcome: 'error', reason: 'harness error: undefined is not a function' });
    expect(by.hangs).toMatchObject({ outcome: 'error', reason: 'did not finish within 1000 ms' });
    expect(by['needs-rs']).toMatchObject({ outcome: 'skip', reason: 'the profile has no resourceServer' });
    expect(by['needs-dpop']).toMatchObject({ outcome: 'skip', reason: 'the issuer does not support dpop' });
    expect(by['fapi-only']).toMatchObject({ outcome: 'skip', reason: 'applies to the fapi2 profile; this target is rfc9700' });
    expect(by.leaks!.reason).not.toContain('super-secret-value-123');
    expect(by['no-verdict']).toMatchObject({ outcome: 'error', reason: expect.stringMatching(/without a verdict/) });
    expect(by['soft-finding']).toMatchObject({ outcome: 'warn', reason: 'the refetch cool-down is missing' });
    expect(by['soft-then-hard']).toMatchObject({ outcome: 'fail', reason: 'major thing; also: minor thing' });
    expect(by.graded).toMatchObject({ outcome: 'warn', reason: 'leeway is 120 s' });
    expect(by.control).toMatchObject({ outcome: 'fail' });
    expect(by.dependant).toMatchObject({
      outcome: 'error',
      reason: 'the positive control synthetic.control failed: the valid token was refused',
    });
    expect(summarize(checksRun)).toEqual({ pass: 1, fail: 4, warn: 3, skip: 4, error: 5 });
    expect(seen).toEqual(synthetic.checks.map((c) => c.id));
  });

  it('collects the SLO verdicts checks measure', async () => {
    const measured = make('measures', async (t: CheckContext) => {
      t.slo({ name: 'revocationPropagation', threshold: '5.00 s', observed: 'max 12 ms', ok: true });
      t.passReason('measured');
    });
    const slo: SloVerdict[] = [];
    await runChecks({ target: target(), checks: suite('synthetic', 'Synthetic', [measured]).checks, slo });
    expect(slo).toEqual([{ name: 'revocationPropagation', threshold: '5.00 s', observed: 'max 12 ms', ok: true }]);
  });

  it('takes declared capabilities over discovery', async () => {
    const checksRun = await runChecks({
      target: target({ capabilities: ['dpop'] }),
      checks: selectChecks([synthetic], { checks: ['synthetic.needs-dpop'] }),
      reporters: [],
    });
    expect(checksRun[0]!.outcome).toBe('pass');
  });
});

describe('selectChecks', () => {
  const other = suite('other', 'Other', [
    check({ id: 'other.one', catalog: 'O01', title: 'o', spec: [], level: 'MUST', run: async () => {} }),
  ]);
  it('selects by suite, id and catalog code', () => {
    expect(selectChecks([synthetic, other], { suites: ['other'] }).map((c) => c.id)).toEqual(['other.one']);
    expect(selectChecks([synthetic, other], { checks: ['O01', 'synthetic.fails'] }).map((c) => c.id)).toEqual([
      'synthetic.fails',
      'other.one',
    ]);
  });
  it('selects the positive controls a selected check depends on', () => {
    expect(selectChecks([synthetic], { checks: ['synthetic.dependant'] }).map((c) => c.id)).toEqual([
      'synthetic.control',
      'synthetic.dependant',
    ]);
  });
  it('refuses unknown names with a usage error', () => {
    expect(() => selectChecks([synthetic, other], { suites: ['nope'] })).toThrow(UsageError);
    expect(() => selectChecks([synthetic, other], { checks: ['other.two'] })).toThrow(/unknown check 'other.two'/);
  });
  it('refuses a check id that does not belong to its suite', () => {
    expect(() => suite('a', 'A', [check({ id: 'b.x', title: 'x', spec: [], level: 'MUST', run: async () => {} })])).toThrow(
      /listed in suite a/,
    );
  });
});
