/**
 * Runs the real k6 binary on a script from scenarios/ and returns its summary. Parameters and
 * secrets reach the script through the environment (k6's __ENV), never through argv, so
 * they do not show in a process list.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvironmentError } from '../lib/errors.ts';
import { requireTool } from '../tools/paths.ts';

export interface K6Metric {
  type: string;
  values: Record<string, number>;
}

export interface K6Summary {
  metrics: Record<string, K6Metric>;
  state?: { testRunDurationMs?: number };
}

export interface K6Run {
  summary: K6Summary;
  /** Requests per second over the whole run (http_reqs rate). */
  requestRate: number;
  /** Fraction of k6 checks that passed (1 when the script has none). */
  checkPassRate: number;
  durationMs: number;
}

export async function runK6(
  script: string,
  env: Record<string, string>,
  options: { logLine?: (line: string) => void } = {},
): Promise<K6Run> {
  const k6 = await requireTool('k6');
  const dir = mkdtempSync(join(tmpdir(), 'tokenproof-k6-'));
  const summaryFile = join(dir, 'summary.json');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(k6, ['run', '--quiet', '--no-usage-report', script], {
        env: { ...process.env, ...env, SUMMARY: summaryFile, K6_NO_COLOR: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let tail = '';
      const collect = (chunk: Buffer) => {
        tail = (tail + chunk.toString('utf8')).slice(-4000);
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) options.logLine?.(line);
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.on('error', reject);
      child.on('close', (exitCode) => {
        // 99 means thresholds were crossed: the summary is still complete and the caller judges it.
        if (exitCode !== 0 && exitCode !== 99)
          reject(
            new EnvironmentError(
              `k6 exited with ${exitCode}: ${tail.trim().split('\n').slice(-3).join(' | ')}`,
              `run the script by hand: ${k6} run ${script}`,
            ),
          );
        else resolve();
      });
    });
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as K6Summary;
    const checks = summary.metrics.checks?.values;
    return {
      summary,
      requestRate: summary.metrics.http_reqs?.values.rate ?? 0,
      checkPassRate: checks ? (checks.rate ?? 0) : 1,
      durationMs: summary.state?.testRunDurationMs ?? 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
