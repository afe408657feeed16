/**
 * Runs the real k6 binary on a script from scenarios/ and returns its summary. Parameters and
 * secrets reach the script through the environment (k6's __ENV) or an owner-only file, never
 * through argv, so they do not show in a process list.
 *
 * k6's exit codes (go.k6.io/k6/errext/exitcodes): 0 ok; 99 thresholds crossed (the summary is
 * complete and the caller judges it: an SLO breach); anything else (104 invalid config, 107 script
 * exception, 108 aborted by the script, …) is an environment error carrying k6's own message.
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
  thresholds?: Record<string, { ok: boolean }>;
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

/** k6 exits 99 when a threshold is crossed. */
export const thresholdsCrossedExitCode = 99;

export interface K6Invocation {
  script: string;
  env: Record<string, string>;
  /** Extra `k6 run` arguments (outputs, system tags). */
  args?: string[];
  /** The binary; default: the tool discovery's k6. */
  k6?: string;
  /** A command k6 runs under, e.g. ['taskset', '-c', '1'] to pin the generator to one core. */
  wrapper?: string[];
  /** Where the script's handleSummary writes (the script is told through its config). */
  summaryFile: string;
  logLine?: (line: string) => void;
  /** Called every `tickMs` while k6 runs (the progress line). */
  onTick?: () => void;
  tickMs?: number;
  signal?: AbortSignal;
}

export interface K6Result {
  summary: K6Summary;
  exitCode: number;
  /** True when k6 said a threshold was crossed (exit 99). */
  thresholdsCrossed: boolean;
}

/** k6's `level=error msg="…"` lines, else its last lines: what the user needs to see. */
export function k6Message(output: string): string {
  const errors = [...output.matchAll(/level=(?:error|fatal) msg="((?:[^"\\]|\\.)*)"/g)].map((match) => match[1] ?? '');
  if (errors.length > 0) return errors.slice(-3).join(' | ');
  return output.trim().split('\n').slice(-3).join(' | ');
}

export async function runK6Script(invocation: K6Invocation): Promise<K6Result> {
  const k6 = invocation.k6 ?? (await requireTool('k6'));
  const exitCode = await new Promise<number>((resolve, reject) => {
    const argv = [k6, 'run', '--quiet', '--no-usage-report', ...(invocation.args ?? []), invocation.script];
    const [command, ...rest] = [...(invocation.wrapper ?? []), ...argv] as [string, ...string[]];
    const child = spawn(command, rest, {
      env: { ...process.env, ...invocation.env, K6_NO_COLOR: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-8000);
      for (const line of text.split('\n')) if (line.trim()) invocation.logLine?.(line);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const ticker = invocation.onTick ? setInterval(invocation.onTick, invocation.tickMs ?? 5000) : undefined;
    // SIGINT lets k6 stop its VUs and still write the summary; the abort is the caller's Ctrl-C.
    const onAbort = () => child.kill('SIGINT');
    invocation.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      clearInterval(ticker);
      reject(new EnvironmentError(`could not start k6 (${k6}): ${error.message}`, 'run `tokenproof setup`'));
    });
    child.on('close', (code, signal) => {
      clearInterval(ticker);
      invocation.signal?.removeEventListener('abort', onAbort);
      if (code === 0 || code === thresholdsCrossedExitCode) resolve(code);
      else
        reject(
          new EnvironmentError(
            `k6 exited with ${code ?? signal}: ${k6Message(tail)}`,
            `run the scenario by hand to see all of k6's output: ${k6} run ${invocation.script}`,
          ),
        );
    });
  });
  let summary: K6Summary;
  try {
    summary = JSON.parse(readFileSync(invocation.summaryFile, 'utf8')) as K6Summary;
  } catch (error) {
    throw new EnvironmentError(
      `k6 finished but wrote no summary (${(error as Error).message})`,
      'the scenario script must export handleSummary (scenarios/lib/summary.ts)',
    );
  }
  return { summary, exitCode, thresholdsCrossed: exitCode === thresholdsCrossedExitCode };
}

/** The benchmark's runner: a plain script with SUMMARY in its environment, thresholds judged by the caller. */
export async function runK6(
  script: string,
  env: Record<string, string>,
  options: { logLine?: (line: string) => void; wrapper?: string[] } = {},
): Promise<K6Run> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenproof-k6-'));
  const summaryFile = join(dir, 'summary.json');
  try {
    const { summary } = await runK6Script({
      script,
      env: { ...env, SUMMARY: summaryFile },
      summaryFile,
      ...(options.logLine && { logLine: options.logLine }),
      ...(options.wrapper && { wrapper: options.wrapper }),
    });
    const checks = summary.metrics['checks']?.values;
    return {
      summary,
      requestRate: summary.metrics['http_reqs']?.values['rate'] ?? 0,
      checkPassRate: checks ? (checks['rate'] ?? 0) : 1,
      durationMs: summary.state?.testRunDurationMs ?? 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
