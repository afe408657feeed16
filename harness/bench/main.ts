/**
 * `npm run bench`: how close the reference stack gets to this machine's limits, measured in one
 * run. The server under test is pinned to one core and k6 to the other (`taskset`, when there
 * are two cores and taskset exists; the output says when not), so the generator does not steal
 * the server's CPU. Prints the reference issuer's client_credentials tokens/s (RS256, ES256)
 * beside `openssl speed`'s sign rate on the server's core right before and after each, and beside
 * the sign floor (sign-floor.ts: node:http, the form, Basic credentials and the signature, nothing
 * else), in `--repeat` rounds; the resource server's validations/s with a pool of 10,000
 * distinct tokens and its verified-token cache off (every request pays a verification) beside
 * the combined verify + HTTP ceiling, and with one hot token and the cache on; and the
 * generator's own ceiling: k6 against a bare node:http server in the same run. Numbers, not
 * assertions.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { stringify } from 'yaml';
import { freePort } from '../env/free-port.ts';
import { type LaunchedProcess, launch } from '../env/launch.ts';
import { parseDurationMs } from '../lib/duration.ts';
import { type K6Run, runK6 } from '../load/k6.ts';
import { tokenRequest } from '../oauth/client.ts';
import { findOnPath, repoRoot, requireTool } from '../tools/paths.ts';

const execFileAsync = promisify(execFile);
const cli = join(repoRoot, 'harness', 'cli', 'main.ts');
const scenario = (name: string) => join(repoRoot, 'scenarios', 'bench', name);

export interface OpensslCeiling {
  rs256SignPerSecond: number;
  rs256VerifyPerSecond: number;
  es256SignPerSecond: number;
}

/** Parses `openssl speed rsa2048 ecdsap256` output: the sign/s (and RSA verify/s) columns. */
export function parseOpensslSpeed(output: string): OpensslCeiling {
  const rsa = /^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)/m.exec(output);
  const ecdsa = /^\s*256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)/m.exec(output);
  if (!rsa || !ecdsa) throw new Error(`cannot read openssl speed output:\n${output}`);
  return { rs256SignPerSecond: Number(rsa[1]), rs256VerifyPerSecond: Number(rsa[2]), es256SignPerSecond: Number(ecdsa[1]) };
}

async function opensslCeiling(seconds: number, pin: Pinning): Promise<OpensslCeiling> {
  const argv = [...pin.server, 'openssl', 'speed', '-seconds', String(seconds), 'rsa2048', 'ecdsap256'];
  const { stdout } = await execFileAsync(argv[0]!, argv.slice(1), { maxBuffer: 1 << 20 });
  return parseOpensslSpeed(stdout);
}

/** Command prefixes that pin the server and the generator to a core each, or nothing. */
export interface Pinning {
  server: string[];
  generator: string[];
  note: string;
}

async function pinning(): Promise<Pinning> {
  const taskset = await findOnPath('taskset');
  if (!taskset || availableParallelism() < 2)
    return {
      server: [],
      generator: [],
      note: `not pinned (${taskset ? 'fewer than two cores' : 'no taskset on PATH'}): server and k6 share the cores, and the ratios include that`,
    };
  return {
    server: [taskset, '-c', '0'],
    generator: [taskset, '-c', '1'],
    note: 'server pinned to core 0, k6 to core 1 (taskset)',
  };
}

export interface ProcessTimes {
  /** CPU seconds used by all its threads. */
  cpu: number;
  /** Seconds its threads were runnable but waited for a CPU (others had it); undefined without schedstat. */
  waiting: number | undefined;
  /** Its main thread alone (JavaScript, the event loop, its syscalls): CPU and run-queue seconds; undefined without schedstat. */
  mainThread: { cpu: number; waiting: number } | undefined;
}

/**
 * What a process (all its threads) has used so far: each thread's on-CPU and run-queue time from
 * /proc/<pid>/task/<tid>/schedstat (nanoseconds), else utime + stime from /proc/<pid>/stat (clock
 * ticks, assumed 100/s); undefined where /proc is not there.
 */
export function processTimes(pid: number): ProcessTimes | undefined {
  try {
    let running = 0;
    let waiting = 0;
    let main = { cpu: 0, waiting: 0 };
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [onCpu, onQueue] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
        running += Number(onCpu);
        waiting += Number(onQueue);
        if (tid === String(pid)) main = { cpu: Number(onCpu) / 1e9, waiting: Number(onQueue) / 1e9 };
      } catch {
        // the thread ended between the listing and the read
      }
    }
    if (running > 0) return { cpu: running / 1e9, waiting: waiting / 1e9, mainThread: main };
  } catch {
    // no schedstat: fall back to /proc/<pid>/stat
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { cpu: (Number(fields[11]) + Number(fields[12])) / 100, waiting: undefined, mainThread: undefined };
  } catch {
    return undefined;
  }
}

/**
 * A k6 run against one server process, with what that process spent: `openssl speed` divides by
 * CPU time, not wall time, so on a machine where other work shares the server's core only
 * requests per server-CPU-second compare with it; the wall-clock rate is what a client saw.
 */
export interface Measurement {
  run: K6Run;
  requests: number;
  /** CPU seconds the server used during the k6 run; undefined without /proc. */
  serverCpuSeconds: number | undefined;
  /** Requests per CPU second of the server, else the wall-clock rate. */
  perCpuSecond: number;
  /** The share of one core the server got while k6 ran (its CPU time / k6's wall time). */
  coreShare: number | undefined;
  /** Its threads' run-queue time over the wall time (summed over threads): ready to run, the core held by another process. */
  waitShare: number | undefined;
  /** Server CPU per request in microseconds, all threads and the main thread alone; undefined without schedstat. */
  microsPerRequest: { all: number; mainThread: number } | undefined;
  /**
   * The share of the wall time the main thread neither ran nor waited for a core: it had no
   * request to work on, so the generator, not the server, set the rate (and an idle server pays
   * more CPU per request: every request wakes it with cold caches). Undefined without schedstat.
   */
  mainIdleShare: number | undefined;
}

async function measured(pid: number, run: () => Promise<K6Run>): Promise<Measurement> {
  const before = processTimes(pid);
  const result = await run();
  const after = processTimes(pid);
  const requests = result.summary.metrics['http_reqs']?.values['count'] ?? 0;
  const cpu = before && after && after.cpu > before.cpu ? after.cpu - before.cpu : undefined;
  const waiting = before?.waiting !== undefined && after?.waiting !== undefined ? after.waiting - before.waiting : undefined;
  const wall = result.durationMs / 1000;
  return {
    run: result,
    requests,
    serverCpuSeconds: cpu,
    perCpuSecond: cpu ? requests / cpu : result.requestRate,
    coreShare: cpu && wall ? cpu / wall : undefined,
    waitShare: waiting !== undefined && wall ? waiting / wall : undefined,
    microsPerRequest:
      cpu && requests && before?.mainThread !== undefined && after?.mainThread !== undefined
        ? { all: (cpu / requests) * 1e6, mainThread: ((after.mainThread.cpu - before.mainThread.cpu) / requests) * 1e6 }
        : undefined,
    mainIdleShare:
      wall && before?.mainThread !== undefined && after?.mainThread !== undefined
        ? Math.max(
            0,
            1 - (after.mainThread.cpu - before.mainThread.cpu + after.mainThread.waiting - before.mainThread.waiting) / wall,
          )
        : undefined,
  };
}

interface BenchOptions {
  duration: string;
  vus: number;
  workDir: string;
  log: (line: string) => void;
  pin: Pinning;
  /** Where each server process writes a V8 CPU profile (`node --cpu-prof`), when set. */
  profileDir?: string;
  /** Rounds of the RS256 issuer and the sign floor (alternating which goes first); the table gives medians. */
  repeat: number;
  /** Measure only the issuer or only the resource server (with its ceilings); both when unset. */
  only?: 'issuer' | 'rs';
  /** Another checkout whose `harness/cli/main.ts` runs the resource servers (an A/B against older code). */
  rsTree?: string;
  /** Another checkout whose issuer runs the issuer measurements and mints the resource server's tokens. */
  issuerTree?: string;
}

const profiling = (options: BenchOptions) => (options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : []);

async function startIssuerProcess(
  alg: 'RS256' | 'ES256',
  options: BenchOptions,
  secret: string,
): Promise<{ url: string; process: LaunchedProcess }> {
  const port = await freePort();
  const configFile = join(options.workDir, `issuer-${alg}.yaml`);
  writeFileSync(
    configFile,
    stringify({
      signing: { alg },
      rateLimit: { max: 0 },
      resources: ['api://bench'],
      clients: [{ id: 'bench', secret: '${BENCH_CLIENT_SECRET}', scopes: ['read'] }],
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const process = await launch({
    name: `issuer ${alg}`,
    command: [
      ...options.pin.server,
      globalThis.process.execPath,
      ...profiling(options),
      options.issuerTree ? join(options.issuerTree, 'harness', 'cli', 'main.ts') : cli,
      'serve',
      'issuer',
      '--port',
      String(port),
      '--config',
      configFile,
    ],
    env: { BENCH_CLIENT_SECRET: secret },
    ready: `${url}/health`,
    readyTimeoutMs: 30_000,
    logFile: join(options.workDir, `issuer-${alg}.log`),
  });
  return { url, process };
}

async function issuance(alg: 'RS256' | 'ES256', options: BenchOptions): Promise<Measurement> {
  const secret = randomBytes(24).toString('base64url');
  const issuer = await startIssuerProcess(alg, options, secret);
  try {
    options.log(`k6: ${options.vus} VUs for ${options.duration} → ${alg} client_credentials at ${issuer.url}/token`);
    return await issuanceLoad(issuer.process.pid, `${issuer.url}/token`, secret, options);
  } finally {
    await issuer.process.stop();
  }
}

function issuanceLoad(pid: number, tokenUrl: string, secret: string, options: BenchOptions): Promise<Measurement> {
  return measured(pid, () =>
    runK6(
      scenario('issuance.js'),
      { TOKEN_URL: tokenUrl, CLIENT_ID: 'bench', CLIENT_SECRET: secret, VUS: String(options.vus), DURATION: options.duration },
      { wrapper: options.pin.generator },
    ),
  );
}

/** The same k6 load against `sign-floor.ts`: node:http, the form, Basic credentials and one RS256 signature. */
async function signFloor(options: BenchOptions): Promise<Measurement> {
  const secret = randomBytes(24).toString('base64url');
  const port = await freePort();
  const floor = await launch({
    name: 'sign floor (node:http + RS256)',
    command: [
      ...options.pin.server,
      process.execPath,
      ...profiling(options),
      join(repoRoot, 'harness', 'bench', 'sign-floor.ts'),
    ],
    env: { PORT: String(port), BENCH_CLIENT_SECRET: secret },
    ready: `http://127.0.0.1:${port}/health`,
    readyTimeoutMs: 10_000,
    logFile: join(options.workDir, 'sign-floor.log'),
  });
  try {
    options.log(`k6: ${options.vus} VUs for ${options.duration} → the sign floor at http://127.0.0.1:${port}/token`);
    return await issuanceLoad(floor.pid, `http://127.0.0.1:${port}/token`, secret, options);
  } finally {
    await floor.stop();
  }
}

/**
 * A measurement with `openssl speed` (1 s per algorithm) on the server core right before and right
 * after it; its ceiling is the better of the two. On a VM whose host is shared, the same binary
 * moves by 10-20 % between minutes (and by more now and then), so a ceiling measured minutes away
 * compares a fast moment with a slow one.
 */
interface Paired {
  measurement: Measurement;
  ceiling: OpensslCeiling;
}

async function paired(pin: Pinning, run: () => Promise<Measurement>): Promise<Paired> {
  const before = await opensslCeiling(1, pin);
  const measurement = await run();
  const after = await opensslCeiling(1, pin);
  return { measurement, ceiling: betterCeiling(before, after) };
}

function betterCeiling(a: OpensslCeiling, b: OpensslCeiling): OpensslCeiling {
  return {
    rs256SignPerSecond: Math.max(a.rs256SignPerSecond, b.rs256SignPerSecond),
    rs256VerifyPerSecond: Math.max(a.rs256VerifyPerSecond, b.rs256VerifyPerSecond),
    es256SignPerSecond: Math.max(a.es256SignPerSecond, b.es256SignPerSecond),
  };
}

/** One round of the issuer half: RS256 issuance and the sign floor, each between two openssl runs. */
interface IssuerRound {
  rs256: Paired;
  floor: Paired;
}

/** The median and the range of some ratios, "74 % (71-76 %)" when there are several. */
export function medianRange(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

const bareServer = `require('node:http').createServer((req, res) => {
  const body = JSON.stringify({ sub: 'bench', client_id: 'bench', scope: 'read' });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}).listen(Number(process.env.PORT), '127.0.0.1');`;

interface ValidationRuns {
  /** 10,000 distinct tokens, verified-token cache off: every request pays a verification. */
  uncachedPool: Measurement;
  /** One hot token, cache on. */
  hotToken: Measurement;
  /**
   * k6 against a bare node:http server (the same request, token header included): the HTTP
   * ceiling, and the generator's own. Measured before and after the resource servers; `bare` is
   * the one with more requests per CPU second (the other engineers' load moves both).
   */
  bare: Measurement;
  bareRuns: [Measurement, Measurement];
  poolSize: number;
}

const poolSize = 10_000;

async function startResourceServer(
  issuerUrl: string,
  cache: boolean,
  options: BenchOptions,
): Promise<{ url: string; process: LaunchedProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = join(options.workDir, `resource-server-${cache ? 'cached' : 'uncached'}.yaml`);
  writeFileSync(configFile, stringify({ issuer: issuerUrl, audience: 'api://bench', tokenCache: { enabled: cache } }));
  const process = await launch({
    name: `resource server (cache ${cache ? 'on' : 'off'})`,
    command: [
      ...options.pin.server,
      globalThis.process.execPath,
      ...profiling(options),
      options.rsTree ? join(options.rsTree, 'harness', 'cli', 'main.ts') : cli,
      'serve',
      'resource-server',
      '--port',
      String(port),
      '--config',
      configFile,
    ],
    env: {},
    ready: `${url}/health`,
    readyTimeoutMs: 30_000,
    logFile: join(options.workDir, `resource-server-${cache ? 'cached' : 'uncached'}.log`),
  });
  return { url, process };
}

/** Distinct tokens minted before the measurement, 16 requests in flight. */
async function mintPool(issuerUrl: string, secret: string, count: number): Promise<string[]> {
  const tokens: string[] = [];
  const worker = async () => {
    while (tokens.length < count) {
      const answer = await tokenRequest(
        `${issuerUrl}/token`,
        { grant_type: 'client_credentials', resource: 'api://bench' },
        { method: 'client_secret_basic', clientId: 'bench', secret },
      );
      if (!answer.body.access_token) throw new Error(`the bench issuer gave no token: HTTP ${answer.status}`);
      tokens.push(answer.body.access_token);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return tokens.slice(0, count);
}

async function validation(options: BenchOptions): Promise<ValidationRuns> {
  const secret = randomBytes(24).toString('base64url');
  const issuer = await startIssuerProcess('RS256', options, secret);
  const started: LaunchedProcess[] = [issuer.process];
  const measure = (pid: number, script: string, env: Record<string, string>) =>
    measured(pid, () =>
      runK6(
        scenario(script),
        { ...env, VUS: String(options.vus), DURATION: options.duration },
        { wrapper: options.pin.generator },
      ),
    );
  try {
    options.log(`minting ${poolSize.toLocaleString('en-US')} distinct RS256 tokens before the measurement…`);
    const tokens = await mintPool(issuer.url, secret, poolSize);
    const tokensFile = join(options.workDir, 'tokens.json');
    writeFileSync(tokensFile, JSON.stringify(tokens), { mode: 0o600 });

    const barePort = await freePort();
    const bareProcess = await launch({
      name: 'bare node:http server',
      command: [...options.pin.server, process.execPath, ...profiling(options), '-e', bareServer],
      env: { PORT: String(barePort) },
      ready: `http://127.0.0.1:${barePort}/`,
      readyTimeoutMs: 10_000,
      logFile: join(options.workDir, 'bare.log'),
    });
    started.push(bareProcess);
    const measureBare = () => {
      options.log(`k6: ${options.vus} VUs for ${options.duration} → GET a bare node:http server (same token header)`);
      return measure(bareProcess.pid, 'protected.js', { TARGET_URL: `http://127.0.0.1:${barePort}/`, TOKEN: tokens[0]! });
    };
    const bareFirst = await measureBare();

    // One server at a time on the server core, so each measurement has it to itself.
    const uncached = await startResourceServer(issuer.url, false, options);
    started.push(uncached.process);
    options.log(
      `k6: ${options.vus} VUs for ${options.duration} → ${uncached.url}/protected, ${poolSize} distinct tokens, cache off`,
    );
    const uncachedPool = await measure(uncached.process.pid, 'protected-pool.js', {
      TARGET_URL: `${uncached.url}/protected`,
      TOKENS_FILE: tokensFile,
    });
    await uncached.process.stop();

    const cached = await startResourceServer(issuer.url, true, options);
    started.push(cached.process);
    options.log(`k6: ${options.vus} VUs for ${options.duration} → ${cached.url}/protected, one hot token, cache on`);
    const hotToken = await measure(cached.process.pid, 'protected.js', {
      TARGET_URL: `${cached.url}/protected`,
      TOKEN: tokens[0]!,
    });
    await cached.process.stop();
    await issuer.process.stop();

    const bareLast = await measureBare();
    const bare = bareLast.perCpuSecond > bareFirst.perCpuSecond ? bareLast : bareFirst;
    return { uncachedPool, hotToken, bare, bareRuns: [bareFirst, bareLast], poolSize };
  } finally {
    await Promise.all(started.map((handle) => handle.stop()));
    // 10,000 whole tokens: they do not outlive the measurement on disk.
    rmSync(join(options.workDir, 'tokens.json'), { force: true });
  }
}

const rate = (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`;
const percent = (value: number) => `${(value * 100).toFixed(0)} %`;
const share = (measurement: Measurement) =>
  measurement.coreShare === undefined ? 'n/a' : `${(measurement.coreShare * 100).toFixed(0)} %`;

export async function runBench(options: Omit<BenchOptions, 'pin'>): Promise<void> {
  const pin = await pinning();
  const bench: BenchOptions = { ...options, pin };
  const k6 = await requireTool('k6');
  const { stdout: k6Version } = await execFileAsync(k6, ['version']);
  options.log(`load generator: ${k6Version.trim()}; ${options.vus} VUs, ${options.duration} per measurement`);
  options.log(`cores: ${pin.note}`);
  const opensslLine = (when: string, measured: OpensslCeiling) =>
    options.log(
      `  openssl, ${when}: RS256 sign ${rate(measured.rs256SignPerSecond)}, verify ${rate(measured.rs256VerifyPerSecond)}; ES256 sign ${rate(measured.es256SignPerSecond)}`,
    );
  const report = (name: string, measurement: Measurement) =>
    options.log(
      `  ${name}: ${rate(measurement.run.requestRate)} wall, ${rate(measurement.perCpuSecond)} per server CPU second (its threads ran ${share(measurement)} of the wall time${measurement.waitShare === undefined ? '' : ` and waited ${(measurement.waitShare * 100).toFixed(0)} % for a core another process held`}${measurement.microsPerRequest === undefined ? '' : `; ${measurement.microsPerRequest.all.toFixed(0)} µs of CPU per request, ${measurement.microsPerRequest.mainThread.toFixed(0)} µs on the main thread`}${measurement.mainIdleShare === undefined ? '' : `; main thread idle ${(measurement.mainIdleShare * 100).toFixed(0)} %${measurement.mainIdleShare > 0.15 ? ': generator-bound' : ''}`})`,
    );
  if (options.rsTree) options.log(`resource servers from ${options.rsTree}`);
  if (options.issuerTree) options.log(`issuers from ${options.issuerTree}`);

  // The issuer half: each measurement sits between two short openssl runs on the same core and is
  // compared with them, and the RS256 issuer alternates with the sign floor (A B, B A, ...) so a
  // drift in the machine's speed favours neither.
  const rounds: IssuerRound[] = [];
  let es256: Paired | undefined;
  if (options.only !== 'rs') {
    options.log(
      `issuer: ${options.repeat} round(s) of RS256 issuance and the sign floor, each between two 1 s openssl speed runs on the server core…`,
    );
    for (let round = 1; round <= options.repeat; round++) {
      const issuerRun = () => paired(pin, () => issuance('RS256', bench));
      const floorRun = () => paired(pin, () => signFloor(bench));
      let rs256: Paired;
      let floor: Paired;
      if (round % 2 === 1) {
        rs256 = await issuerRun();
        floor = await floorRun();
      } else {
        floor = await floorRun();
        rs256 = await issuerRun();
      }
      rounds.push({ rs256, floor });
      report(`round ${round}, issuer RS256`, rs256.measurement);
      report(`round ${round}, sign floor`, floor.measurement);
      options.log(
        `  round ${round}: issuer ${percent(signRatio(rs256))} and floor ${percent(signRatio(floor))} of openssl's RS256 sign (${rate(rs256.ceiling.rs256SignPerSecond)} and ${rate(floor.ceiling.rs256SignPerSecond)} around them); issuer ${percent(rs256.measurement.perCpuSecond / floor.measurement.perCpuSecond)} of the floor`,
      );
    }
    es256 = await paired(pin, () => issuance('ES256', bench));
    report('issuer ES256', es256.measurement);
  }

  // The resource-server half: openssl's verify rate before and after it, the better one.
  let validate: ValidationRuns | undefined;
  let verifyCeiling: OpensslCeiling | undefined;
  if (options.only !== 'issuer') {
    options.log('measuring the openssl speed ceilings on the server core (openssl divides by its CPU time)…');
    const opensslBefore = await opensslCeiling(3, pin);
    opensslLine('before the resource servers', opensslBefore);
    validate = await validation(bench);
    report('RS uncached', validate.uncachedPool);
    report('RS hot token', validate.hotToken);
    report('bare node:http, before', validate.bareRuns[0]);
    report('bare node:http, after', validate.bareRuns[1]);
    const opensslAfter = await opensslCeiling(3, pin);
    opensslLine('after the resource servers', opensslAfter);
    verifyCeiling = betterCeiling(opensslBefore, opensslAfter);
  }

  type Row = [string, string, string, string, string, string, string, string];
  const row = (name: string, measurement: Measurement, ceilingName: string, perCpuCeiling: number, wallCeiling: number): Row => [
    name,
    rate(measurement.run.requestRate),
    share(measurement),
    rate(measurement.perCpuSecond),
    ceilingName,
    rate(perCpuCeiling),
    percent(measurement.perCpuSecond / perCpuCeiling),
    percent(measurement.run.requestRate / wallCeiling),
  ];
  // Over rounds: medians, and the ratio's range when there are several.
  const roundsRow = (name: string, runs: Paired[], ceilingName: string): Row => {
    const median = (pick: (run: Paired) => number) => medianRange(runs.map(pick)).median;
    const ratio = medianRange(runs.map(signRatio));
    return [
      name,
      rate(median((run) => run.measurement.run.requestRate)),
      percent(median((run) => run.measurement.coreShare ?? 0)),
      rate(median((run) => run.measurement.perCpuSecond)),
      ceilingName,
      rate(median((run) => run.ceiling.rs256SignPerSecond)),
      runs.length > 1
        ? `${percent(ratio.median)} (${(ratio.min * 100).toFixed(0)}-${percent(ratio.max)})`
        : percent(ratio.median),
      percent(median((run) => run.measurement.run.requestRate / run.ceiling.rs256SignPerSecond)),
    ];
  };
  const rows: Row[] = [['measurement', 'wall', 'core', 'per CPU-s', 'ceiling (per CPU second)', '', 'ratio', 'wall ratio']];
  if (rounds.length && es256) {
    const ofFloor = medianRange(
      rounds.map((round) => round.rs256.measurement.perCpuSecond / round.floor.measurement.perCpuSecond),
    );
    rows.push(
      roundsRow(
        'issuer RS256 client_credentials',
        rounds.map((round) => round.rs256),
        'openssl RS256 sign (server core)',
      ),
      roundsRow(
        'sign floor: node:http + form + Basic + RS256',
        rounds.map((round) => round.floor),
        'openssl RS256 sign (server core)',
      ),
      [
        'issuer RS256 / sign floor',
        '',
        '',
        '',
        '',
        '',
        rounds.length > 1
          ? `${percent(ofFloor.median)} (${(ofFloor.min * 100).toFixed(0)}-${percent(ofFloor.max)})`
          : percent(ofFloor.median),
        '',
      ],
      row(
        'issuer ES256 client_credentials',
        es256.measurement,
        'openssl ES256 sign (server core)',
        es256.ceiling.es256SignPerSecond,
        es256.ceiling.es256SignPerSecond,
      ),
    );
  }
  if (validate && verifyCeiling) {
    const ceiling = verifyCeiling;
    // Verify and HTTP in series on one core: 1 / (1/verify + 1/http), both per CPU second.
    const combined = 1 / (1 / ceiling.rs256VerifyPerSecond + 1 / validate.bare.perCpuSecond);
    const combinedWall = 1 / (1 / ceiling.rs256VerifyPerSecond + 1 / validate.bare.run.requestRate);
    rows.push(
      row(
        `RS, ${validate.poolSize.toLocaleString('en-US')} distinct tokens, cache off`,
        validate.uncachedPool,
        'openssl verify + bare HTTP',
        combined,
        combinedWall,
      ),
      row(
        'RS, one hot token, cache on',
        validate.hotToken,
        'bare node:http server',
        validate.bare.perCpuSecond,
        validate.bare.run.requestRate,
      ),
      ['generator ceiling (k6 → bare server)', rate(validate.bare.run.requestRate), share(validate.bare), '', '', '', '', ''],
    );
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((cells) => cells[column]!.length)));
  const rightAligned = new Set([1, 2, 3, 5, 6, 7]);
  options.log('');
  for (const cells of rows)
    options.log(
      cells
        .map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd(),
    );
  const issuerMeasurements = [
    ...rounds.flatMap((round) => [round.rs256.measurement, round.floor.measurement]),
    ...(es256 ? [es256.measurement] : []),
  ];
  const all = [...issuerMeasurements, ...(validate ? [validate.uncachedPool, validate.hotToken, validate.bare] : [])];
  const failed = all.filter((measurement) => measurement.run.checkPassRate < 1);
  if (failed.length)
    options.log(
      `note: ${failed.length} measurement(s) had failed requests (check pass rate below 100 %); their rates include errors`,
    );
  if (all.some((measurement) => measurement.serverCpuSeconds === undefined))
    options.log('note: no /proc here, so "per CPU-s" is the wall-clock rate and the ratios are wall ratios');
  options.log(
    'note: "ratio" compares requests per server CPU second with openssl speed, which also divides by CPU time; ' +
      '"wall ratio" divides the wall-clock rate instead; "core" is the server\'s CPU time over the wall time (below 100 %: it waited for its core or for k6)',
  );
  // The bare server does almost nothing per request: what k6 reaches against it is k6's own ceiling
  // on its core. A measurement near it says more about the generator than about the server.
  if (validate) {
    const candidates: [string, Measurement][] = [
      ['the one-hot-token RS', validate.hotToken],
      ['the uncached RS', validate.uncachedPool],
      ...(es256 ? ([['issuer ES256', es256.measurement]] as [string, Measurement][]) : []),
      ...rounds.map((round, index): [string, Measurement] => [`issuer RS256 (round ${index + 1})`, round.rs256.measurement]),
    ];
    const near = candidates.filter(([, measurement]) => measurement.run.requestRate >= 0.85 * validate.bare.run.requestRate);
    options.log(
      `note: the bare server's ${rate(validate.bare.run.requestRate)} is the generator's ceiling here (k6 ${pin.server.length ? 'on one core' : 'sharing the cores'}); the HTTP ceilings come from it, so they are lower bounds (an unsaturated server also spends more CPU per request)${near.length ? `, and ${near.map(([name]) => name).join(', ')} reached ≥ 85 % of it: generator-bound, the server may do more` : ''}`,
    );
  }
  options.log('targets: RS256 issuance ≥ 80 % of the sign ceiling; the uncached RS ≥ 60 % of the verify + HTTP ceiling');
  if (rounds.length) {
    const issuer = medianRange(rounds.map((round) => signRatio(round.rs256))).median;
    const floor = medianRange(rounds.map((round) => signRatio(round.floor))).median;
    options.log(
      `RS256 issuance: ${percent(issuer)} of the sign ceiling (median of ${rounds.length}), ${issuer >= 0.8 ? 'target met' : 'target not met'}; ` +
        `the sign floor (the least a node:http endpoint does per token, batched the same way) reaches ${percent(floor)} in the same rounds; its shortfall from 100 % is node:http, loopback TCP and this machine${rounds.length < 3 ? ' (use --repeat 3 or more: one round moves by ±10 % on a shared VM)' : ''}`,
    );
  }
}

/** Requests per server CPU second over openssl's RS256 signs per CPU second around the measurement. */
function signRatio(run: Paired): number {
  return run.measurement.perCpuSecond / run.ceiling.rs256SignPerSecond;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10s' },
      vus: { type: 'string', default: '16' },
      profile: { type: 'string' },
      only: { type: 'string' },
      'rs-tree': { type: 'string' },
      'issuer-tree': { type: 'string' },
      repeat: { type: 'string', default: '1' },
    },
  });
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) throw new Error(`--repeat ${values.repeat}: expected 1 to 20`);
  if (values.only !== undefined && values.only !== 'issuer' && values.only !== 'rs')
    throw new Error(`--only ${values.only}: expected issuer or rs`);
  if (parseDurationMs(values.duration) === undefined) throw new Error(`--duration ${values.duration} is not a duration`);
  const workDir = mkdtempSync(join(tmpdir(), 'tokenproof-bench-'));
  let finished = false;
  try {
    await runBench({
      duration: values.duration,
      vus: Number(values.vus),
      repeat,
      workDir,
      log: (line) => process.stdout.write(`${line}\n`),
      ...(values.profile && { profileDir: values.profile }),
      ...(values.only && { only: values.only as 'issuer' | 'rs' }),
      ...(values['rs-tree'] && { rsTree: values['rs-tree'] }),
      ...(values['issuer-tree'] && { issuerTree: values['issuer-tree'] }),
    });
    finished = true;
  } finally {
    // The servers' configs and logs stay only when something went wrong, for the post-mortem.
    if (finished) rmSync(workDir, { recursive: true, force: true });
    else process.stderr.write(`bench: the servers' configs and logs are in ${workDir}\n`);
  }
}
