import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../harness/env/free-port.ts';
import { fillPlaceholders, launch } from '../../harness/env/launch.ts';
import { EnvironmentError } from '../../harness/lib/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'tokenproof-launch-'));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// A server that also starts a grandchild, to prove stop() takes the whole group down.
const serverScript = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
require('node:fs').writeFileSync(process.env.CHILD_PID_FILE, String(child.pid));
require('node:http').createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening ' + process.env.GREETING));
`;

describe('launching target processes', () => {
  it('fills placeholders and refuses unknown ones with the list of known ones', () => {
    expect(fillPlaceholders('{{testIssuer.url}}/jwks', { 'testIssuer.url': 'http://x' }, 'f')).toBe('http://x/jwks');
    expect(() => fillPlaceholders('{{nope}}', { runDir: '/r' }, 'issuer.launch.env.X')).toThrow(
      /issuer\.launch\.env\.X uses the placeholder \{\{nope\}\}/,
    );
  });

  it('starts a process, waits for ready, logs its output, and stops it with its children', async () => {
    const port = await freePort();
    const script = join(dir, 'server.cjs');
    writeFileSync(script, serverScript);
    const pidFile = join(dir, 'child.pid');
    const logFile = join(dir, 'server.log');
    const launched = await launch({
      name: 'fake target',
      command: [process.execPath, script],
      env: { PORT: String(port), CHILD_PID_FILE: pidFile, GREETING: 'hello' },
      ready: `http://127.0.0.1:${port}/`,
      readyTimeoutMs: 10_000,
      logFile,
    });
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(launched.pid)).toBe(true);
    expect(alive(grandchild)).toBe(true);
    await launched.stop();
    expect(alive(launched.pid)).toBe(false);
    const deadline = Date.now() + 5000;
    while (alive(grandchild) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alive(grandchild)).toBe(false);
    expect(readFileSync(logFile, 'utf8')).toContain('listening hello');
  });

  it('fails with an environment error when the process exits before it is ready', async () => {
    const error = await launch({
      name: 'crasher',
      command: [process.execPath, '-e', 'console.error("boom"); process.exit(4)'],
      env: {},
      ready: 'http://127.0.0.1:9/',
      readyTimeoutMs: 10_000,
      logFile: join(dir, 'crash.log'),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as Error).message).toMatch(/crasher exited with code 4 before it was ready/);
    expect(readFileSync(join(dir, 'crash.log'), 'utf8')).toContain('boom');
  });

  it('fails with an environment error naming the ready URL on a deadline', async () => {
    const error = await launch({
      name: 'sleeper',
      command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
      env: {},
      ready: 'http://127.0.0.1:9/ready',
      readyTimeoutMs: 800,
      logFile: join(dir, 'sleep.log'),
    }).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/sleeper was not ready at http:\/\/127\.0\.0\.1:9\/ready within 800 ms/);
  });

  it('names a command that does not exist', async () => {
    const error = await launch({
      name: 'ghost',
      command: ['/nonexistent/tokenproof-binary'],
      env: {},
      ready: 'http://127.0.0.1:9/',
      readyTimeoutMs: 5000,
      logFile: join(dir, 'ghost.log'),
    }).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/could not start '\/nonexistent\/tokenproof-binary'/);
  });
});
