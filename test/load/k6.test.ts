/** The k6 runner drives the real k6 binary and reads its summary; the bench's openssl parser. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOpensslSpeed } from '../../harness/bench/main.ts';
import { EnvironmentError } from '../../harness/lib/errors.ts';
import { runK6, runK6Script } from '../../harness/load/k6.ts';
import { repoRoot } from '../../harness/tools/paths.ts';

describe('k6 runner', () => {
  it('runs a scenario script with real k6 and returns its request rate and checks', async () => {
    let seen = 0;
    let authorization: string | undefined;
    const server = createServer((request, response) => {
      seen++;
      authorization = request.headers.authorization;
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const run = await runK6(`${repoRoot}/scenarios/bench/protected.js`, {
        TARGET_URL: `http://127.0.0.1:${port}/`,
        TOKEN: 'token-from-the-environment',
        VUS: '2',
        DURATION: '1s',
      });
      expect(run.checkPassRate).toBe(1);
      expect(run.requestRate).toBeGreaterThan(0);
      expect(run.summary.metrics.http_reqs?.values.count).toBe(seen);
      expect(authorization).toBe('Bearer token-from-the-environment');
    } finally {
      server.close();
    }
  });

  it('counts failed checks when the server refuses', async () => {
    const server = createServer((_request, response) => response.writeHead(401).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const run = await runK6(`${repoRoot}/scenarios/bench/protected.js`, {
        TARGET_URL: `http://127.0.0.1:${port}/`,
        VUS: '1',
        DURATION: '1s',
      });
      expect(run.checkPassRate).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe("k6's exit codes", () => {
  it("maps a script error (not 0, not 99) to an environment error carrying k6's message", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenproof-k6-broken-'));
    const script = join(dir, 'broken.ts');
    writeFileSync(script, "throw new Error('the scenario is broken on purpose');\nexport default function () {}\n");
    const run = runK6Script({ script, env: {}, summaryFile: join(dir, 'summary.json') });
    await expect(run).rejects.toThrow(EnvironmentError);
    await expect(run).rejects.toThrow(/k6 exited with 107: .*the scenario is broken on purpose/);
  });
});

describe('bench', () => {
  it('reads the sign/s columns of openssl speed', () => {
    const output = [
      '                  sign    verify    sign/s verify/s',
      'rsa 2048 bits 0.000358s 0.000019s   2795.0  51775.0',
      '                              sign    verify    sign/s verify/s',
      ' 256 bits ecdsa (nistp256)   0.0000s   0.0001s  38272.0  12997.0',
    ].join('\n');
    expect(parseOpensslSpeed(output)).toEqual({
      rs256SignPerSecond: 2795,
      rs256VerifyPerSecond: 51775,
      es256SignPerSecond: 38272,
    });
    expect(() => parseOpensslSpeed('nothing')).toThrow(/cannot read openssl speed output/);
  });
});
