/**
 * libfaketime moves a launched Node process's clock while it runs and moves it back, through
 * the offset file, without touching its timers (the monotonic clock is left alone).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../../harness/env/free-port.ts';
import { type LaunchedProcess, launch } from '../../harness/env/launch.ts';
import { faketimeEnvironment, setFaketimeOffset } from '../../harness/faults/faketime.ts';

const dir = mkdtempSync(join(tmpdir(), 'tokenproof-faketime-'));
const offsetFile = join(dir, 'offset');
let server: LaunchedProcess;
let url: string;

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const script = `require('node:http').createServer((q, s) => s.end(String(Date.now()))).listen(${port}, '127.0.0.1')`;
  server = await launch({
    name: 'clock server',
    command: [process.execPath, '-e', script],
    env: faketimeEnvironment(offsetFile),
    ready: url,
    readyTimeoutMs: 15_000,
    logFile: join(dir, 'clock.log'),
  });
});

afterAll(async () => {
  await server?.stop();
});

async function skewSeconds(): Promise<number> {
  const before = Date.now();
  const theirs = Number(await (await fetch(url)).text());
  return Math.round((theirs - before) / 1000);
}

it('shifts the process clock by the offset file and restores it', async () => {
  expect(await skewSeconds()).toBe(0);
  setFaketimeOffset(offsetFile, 120);
  expect(await skewSeconds()).toBe(120);
  setFaketimeOffset(offsetFile, -120);
  expect(await skewSeconds()).toBe(-120);
  setFaketimeOffset(offsetFile, 0);
  expect(await skewSeconds()).toBe(0);
});
