/**
 * The harness survives any target: `tokenproof conform --target …` as a subprocess against real
 * hostile servers on loopback (hang after accept, one byte every 500 ms, a 2 GB body, invalid
 * JSON, connection reset). Each run must end non-zero within 60 s, write every report, pass no
 * check (nothing passes on a garbage discovery), stay under 300 MB resident, and ask the broken
 * discovery once per run, not once per check.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { wellKnown } from '../../harness/oauth/well-known.ts';
import { repoRoot } from '../../harness/tools/paths.ts';
import { type HostileServer, type Hostility, startHostileServer } from '../support/hostile-server.ts';

const cli = join(repoRoot, 'harness', 'cli', 'main.ts');
const work = mkdtempSync(join(tmpdir(), 'tokenproof-hostile-'));
const boundMs = 60_000;
const memoryLimitKb = 300 * 1024;
const gnuTime = '/usr/bin/time';

interface ConformRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set size of the conform process, in KiB. */
  peakRssKb: number;
  killedAtBound: boolean;
}

function vmHwmKb(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs conform with a hard stop at the bound. The peak memory comes from GNU time (exact, the
 * whole life of the process) where it is installed, else from polling VmHWM, the kernel's own
 * high-water mark, until the process exits.
 */
function conform(profile: string, out: string): Promise<ConformRun> {
  const timeFile = join(out, '..', `${Date.now()}-time.txt`);
  const useTime = existsSync(gnuTime);
  const command = useTime ? gnuTime : process.execPath;
  const args = [
    ...(useTime ? ['-f', '%M', '-o', timeFile, process.execPath] : []),
    cli,
    'conform',
    '--target',
    profile,
    '--out',
    out,
  ];
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let polledKb = 0;
    let killedAtBound = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const poll = useTime ? undefined : setInterval(() => (polledKb = Math.max(polledKb, vmHwmKb(child.pid!) ?? 0)), 50);
    const bound = setTimeout(() => {
      killedAtBound = true;
      child.kill('SIGKILL');
    }, boundMs);
    child.on('close', (code) => {
      clearTimeout(bound);
      clearInterval(poll);
      const timed = useTime && existsSync(timeFile) ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)) : 0;
      resolve({ code, stdout, stderr, peakRssKb: useTime ? timed : polledKb, killedAtBound });
    });
  });
}

interface Report {
  summary: Record<string, number>;
  checks: {
    id: string;
    outcome: string;
    reason: string;
    evidence: { exchanges: { response?: { status: number; body?: string }; error?: string }[] };
  }[];
}

const servers: HostileServer[] = [];
afterEach(() => Promise.all(servers.splice(0).map((server) => server.close())));

/** Starts the hostile server, runs conform against it and checks what every hostile run must show. */
async function againstHostile(
  hostility: Hostility,
  profileExtra = '',
): Promise<{ server: HostileServer; report: Report; run: ConformRun }> {
  const server = await startHostileServer(hostility);
  servers.push(server);
  const profile = join(work, `${hostility}.yaml`);
  writeFileSync(profile, `name: hostile ${hostility}\nissuer:\n  url: ${server.url}\n${profileExtra}`);
  const out = join(work, `reports-${hostility}`);
  const run = await conform(profile, out);

  expect(run.killedAtBound, `conform was still running after ${boundMs / 1000} s`).toBe(false);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(1);
  for (const file of ['report.json', 'junit.xml', 'summary.md', 'index.html'])
    expect(statSync(join(out, 'latest', file)).size, file).toBeGreaterThan(100);
  const report = JSON.parse(readFileSync(join(out, 'latest', 'report.json'), 'utf8')) as Report;
  // Nothing passes on a discovery that cannot be read; what ran either failed or says it could not judge.
  const passed = report.checks.filter((check) => check.outcome === 'pass' || check.outcome === 'warn');
  expect(passed.map((check) => `${check.id}: ${check.reason}`)).toEqual([]);
  expect(report.summary.fail).toBeGreaterThan(0);
  for (const check of report.checks) expect(check.reason, check.id).not.toBe('');
  expect(run.peakRssKb, 'peak resident memory (KiB)').toBeGreaterThan(0);
  expect(run.peakRssKb, 'peak resident memory (KiB)').toBeLessThan(memoryLimitKb);
  // Asked once per run by the first check that needed it; every other check was told, not re-asked.
  expect(server.requests(wellKnown.openid)).toBe(1);
  expect(server.requests(wellKnown.oauth)).toBe(1);
  return { server, report, run };
}

const d01 = (report: Report) => report.checks.find((check) => check.id === 'discovery.well-known')!;

describe('tokenproof conform against hostile targets', { timeout: boundMs + 30_000 }, () => {
  it('a discovery dripped one byte every 500 ms: cut off by the default deadline, which covers the body', async () => {
    const { report } = await againstHostile('drip');
    const result = d01(report);
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/no complete answer within 10000 ms/);
    // The headers came at once; the evidence shows them and how little of the body arrived.
    expect(result.evidence.exchanges[0]!.response).toMatchObject({
      status: 200,
      body: expect.stringMatching(/cut off after \d+ bytes/),
    });
  });

  it('a server that accepts and never answers', async () => {
    const { report } = await againstHostile('hang', 'timeouts:\n  request: 3s\n');
    const result = d01(report);
    expect(result.outcome).toBe('fail');
    expect(result.reason).toMatch(/no complete answer within 3000 ms/);
    const others = report.checks.filter((check) => check.outcome === 'error');
    expect(others.length).toBeGreaterThan(0);
    for (const check of others) expect(check.reason).toMatch(/no usable discovery document|discovery has no/);
  });

  it('a 2 GB discovery body, streamed: read up to the 1 MiB cap and no further', async () => {
    const { report, server } = await againstHostile('huge');
    expect(d01(report).reason).toMatch(/the response body exceeds 1 MiB/);
    // Two capped reads plus what the sockets buffered, nowhere near 2 GB.
    expect(server.bytesSent()).toBeLessThan(64 * 1024 * 1024);
  });

  it('a discovery document that is not JSON', async () => {
    const { report } = await againstHostile('invalid-json');
    expect(d01(report).reason).toMatch(/HTTP 200 but not JSON/);
  });

  it('a server that resets the connection', async () => {
    const { report } = await againstHostile('reset');
    expect(d01(report).reason).toMatch(/the connection was reset \(ECONNRESET\)/);
  });

  it('a target that answers nothing at all is unreachable: exit 3, naming the URL, within the bound', async () => {
    const server = await startHostileServer('hang', { everywhere: true });
    servers.push(server);
    const profile = join(work, 'hang-everywhere.yaml');
    writeFileSync(profile, `name: hung\nissuer:\n  url: ${server.url}\ntimeouts:\n  request: 2s\n`);
    const run = await conform(profile, join(work, 'reports-hang-everywhere'));
    expect(run.killedAtBound).toBe(false);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`the issuer at ${server.url} is unreachable (no HTTP answer within 2000 ms)`);
    expect(run.stderr).toMatch(/fix: /);
    expect(run.peakRssKb).toBeLessThan(memoryLimitKb);
  });
});
