/**
 * Ctrl-C in the middle of a fault leaves nothing behind: `tokenproof chaos` on a toxiproxy
 * server it does not own (as docker-compose's) is interrupted while its outage is on, and
 * afterwards that server holds no proxy and no toxic of the run, and the run's temporary folder
 * holds no token pool or private key of it; the run exits 130.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startToxiproxy, type ToxiproxyServer } from '../../harness/faults/toxiproxy.ts';
import { pollUntil } from '../../harness/lib/poll.ts';
import { repoRoot } from '../../harness/tools/paths.ts';

let external: ToxiproxyServer;
const dir = mkdtempSync(join(tmpdir(), 'tokenproof-chaos-interrupt-'));
// The run's TMPDIR: where its load work (the token pool) and the stack's client key go.
const childTmp = mkdtempSync(join(tmpdir(), 'tokenproof-chaos-interrupt-tmp-'));

beforeAll(async () => {
  external = await startToxiproxy({ logDir: dir });
});

afterAll(async () => {
  await external?.stop();
});

interface ProxyListing {
  enabled: boolean;
  toxics: unknown[];
}

async function proxies(): Promise<Record<string, ProxyListing>> {
  const response = await fetch(`${external.url}/proxies`, { signal: AbortSignal.timeout(2000) });
  return (await response.json()) as Record<string, ProxyListing>;
}

it('an interrupted game day removes its proxies and faults from the toxiproxy it used', async () => {
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'harness', 'cli', 'main.ts'),
      'chaos',
      '--gameday',
      join(repoRoot, 'scenarios', 'gamedays', 'run-default.yaml'),
      '--toxiproxy',
      external.url,
      '--out',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: childTmp } },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  try {
    // The outage is on: a proxy of the run is disabled.
    const during = await pollUntil(
      async () => {
        const listing = await proxies().catch(() => ({}) as Record<string, ProxyListing>);
        return Object.values(listing).some((proxy) => !proxy.enabled) ? listing : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    expect(during.value, output).toBeDefined();
    expect(Object.keys(during.value ?? {}).every((name) => name.startsWith('tokenproof-'))).toBe(true);
    child.kill('SIGINT');
    expect(await exited, output).toBe(130);
    expect(await proxies()).toEqual({});
    // The load phase had its token pool on disk when the Ctrl-C came: it went with the process.
    expect(readdirSync(childTmp).filter((name) => /^tokenproof-(load|keys)-/.test(name))).toEqual([]);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 150_000);
