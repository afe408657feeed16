/**
 * Runs the real k6 on a script from scenarios/ and returns its summary: the host binary here
 * (runK6Script, hostK6Runner), the k6 image in a container in k6-container.ts, both behind
 * `K6Runner` so the load phase and game days do not care which. Parameters and
 * secrets reach the script through the environment (k6's __ENV) or an owner-only file, never
 * through argv, so they do not show in a process list.
 *
 * k6's exit codes (go.k6.io/k6/errext/exitcodes): 0 ok; 99 thresholds crossed (the summary is
 * complete and the caller judges it: an SLO breach); anything else (104 invalid config, 107 script
 * exception, 108 aborted by the script, …) is an environment error carrying k6's own message.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvironmentError } from '../lib/errors.ts';
import { type DiscoveredTool, describeTool } from '../tools/discover.ts';
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
  const argv = [k6, ...k6RunArgs(invocation)];
  const [command, ...rest] = [...(invocation.wrapper ?? []), ...argv] as [string, ...string[]];
  const exitCode = await runK6Process(invocation, {
    command,
    args: rest,
    env: { ...process.env, ...invocation.env, K6_NO_COLOR: 'true' },
    // SIGINT lets k6 stop its VUs and still write the summary; the abort is the caller's Ctrl-C.
    stop: (child) => child.kill('SIGINT'),
    startFailure: (message) => new EnvironmentError(`could not start k6 (${k6}): ${message}`, 'run `tokenproof setup`'),
    exitFailure: (code, tail) =>
      new EnvironmentError(
        `k6 exited with ${code}: ${k6Message(tail)}`,
        `run the scenario by hand to see all of k6's output: ${k6} run ${invocation.script}`,
      ),
  });
  return readK6Result(invocation.summaryFile, exitCode);
}

/** `k6 run`'s arguments for an invocation (the binary, or the image's entrypoint, comes first). */
export function k6RunArgs(invocation: Pick<K6Invocation, 'args' | 'script'>): string[] {
  return ['run', '--quiet', '--no-usage-report', ...(invocation.args ?? []), invocation.script];
}

export interface K6Process {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** What the caller's abort does to the running child (k6 must get SIGINT to write its summary). */
  stop(child: ChildProcess): void;
  startFailure(message: string): Error;
  /** Any exit other than 0 and 99; `tail` is the last of k6's (or docker's) output. */
  exitFailure(code: number | string, tail: string): Error;
}

/** Spawns k6 (or `docker run` of it), streams its lines, ticks the progress line, resolves 0 or 99. */
export function runK6Process(invocation: K6Invocation, spec: K6Process): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const child = spawn(spec.command, spec.args, { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-8000);
      for (const line of text.split('\n')) if (line.trim()) invocation.logLine?.(line);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const ticker = invocation.onTick ? setInterval(invocation.onTick, invocation.tickMs ?? 5000) : undefined;
    const onAbort = () => spec.stop(child);
    invocation.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      clearInterval(ticker);
      invocation.signal?.removeEventListener('abort', onAbort);
      reject(spec.startFailure(error.message));
    });
    child.on('close', (code, signal) => {
      clearInterval(ticker);
      invocation.signal?.removeEventListener('abort', onAbort);
      if (code === 0 || code === thresholdsCrossedExitCode) resolve(code);
      else reject(spec.exitFailure(code ?? signal ?? 'unknown', tail));
    });
  });
}

/** The summary the script's handleSummary wrote, with k6's exit code (0 or 99). */
export function readK6Result(summaryFile: string, exitCode: number): K6Result {
  let summary: K6Summary;
  try {
    summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as K6Summary;
  } catch (error) {
    throw new EnvironmentError(
      `k6 finished but wrote no summary (${(error as Error).message})`,
      'the scenario script must export handleSummary (scenarios/lib/summary.ts)',
    );
  }
  return { summary, exitCode, thresholdsCrossed: exitCode === thresholdsCrossedExitCode };
}

/** Where a load's k6 ran, for the log and the report (details.load.k6). */
export type K6Placement =
  | { where: 'host'; path: string; version: string; source: string }
  | { where: 'container'; image: string; origin: 'public' | 'local'; network: string };

/**
 * One way to run k6 for the load phase and game days: the host binary, or the k6 image on the
 * containers environment's network (k6-container.ts). The scenario run is the same either way:
 * the script, its config file, thresholds, the handleSummary JSON, the CSV samples the progress
 * line reads, exit 99 for a crossed threshold, SIGINT on the caller's abort.
 */
export interface K6Runner {
  placement: K6Placement;
  /** One line for the log: which k6, where. */
  description: string;
  /**
   * How k6 reaches a URL from where it runs, as of now. The host runner changes nothing; in a
   * container the published 127.0.0.1 origins become the containers' network names (any other
   * URL, such as a proxy already listening on the network, is left as it is).
   */
  locate(): Promise<(url: string) => string>;
  /**
   * Runs one scenario. The files the invocation names (script, config, tokens, summary, CSV)
   * must sit under `shareDirs` so a container runner can mount them.
   */
  run(invocation: K6Invocation & { shareDirs: { readOnly: string[]; readWrite: string[] } }): Promise<K6Result>;
}

/** k6 on this host: the binary tool discovery found (.tools/bin/k6, TOKENPROOF_K6 or PATH). */
export function hostK6Runner(tool: DiscoveredTool): K6Runner {
  return {
    placement: { where: 'host', path: tool.path, version: tool.version, source: tool.source },
    description: `${describeTool(tool)} on this host`,
    locate: async () => (url) => url,
    run: ({ shareDirs: _shareDirs, ...invocation }) => runK6Script({ ...invocation, k6: tool.path }),
  };
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
