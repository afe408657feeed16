/**
 * `npm run bench`: how close the reference stack gets to this machine's limits, measured in one
 * run. The server under test is pinned to one core and k6 to the other (`taskset`, when there
 * are two cores and taskset exists; the output says when not), so the generator does not steal
 * the server's CPU. Prints the reference issuer's client_credentials tokens/s (RS256, ES256)
 * beside `openssl speed`'s sign rate on the server's core; the resource server's validations/s
 * with a pool of 10,000 distinct tokens and its verified-token cache off (every request pays a
 * verification) beside the combined verify + HTTP ceiling, and with one hot token and the cache
 * on; and the generator's own ceiling: k6 against a bare node:http server in the same run.
 * Numbers, not assertions.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    return await measured(issuer.process.pid, () =>
      runK6(
        scenario('issuance.js'),
        {
          TOKEN_URL: `${issuer.url}/token`,
          CLIENT_ID: 'bench',
          CLIENT_SECRET: secret,
          VUS: String(options.vus),
          DURATION: options.duration,
        },
        { wrapper: options.pin.generator },
      ),
    );
  } finally {
    await issuer.process.stop();
  }
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
  options.log(
    'measuring the openssl speed ceilings on the server core (openssl divides by its CPU time), before and after the servers…',
  );
  // openssl speed is measured before and after the servers; the ceiling is the better of the two
  // (on a VM whose host is shared, the same binary moves by 10-20 % between minutes).
  const opensslLine = (when: string, measured: OpensslCeiling) =>
    options.log(
      `  openssl, ${when}: RS256 sign ${rate(measured.rs256SignPerSecond)}, verify ${rate(measured.rs256VerifyPerSecond)}; ES256 sign ${rate(measured.es256SignPerSecond)}`,
    );
  const opensslBefore = await opensslCeiling(3, pin);
  opensslLine('before', opensslBefore);
  const report = (name: string, measurement: Measurement) =>
    options.log(
      `  ${name}: ${rate(measurement.run.requestRate)} wall, ${rate(measurement.perCpuSecond)} per server CPU second (its threads ran ${share(measurement)} of the wall time${measurement.waitShare === undefined ? '' : ` and waited ${(measurement.waitShare * 100).toFixed(0)} % for a core another process held`}${measurement.microsPerRequest === undefined ? '' : `; ${measurement.microsPerRequest.all.toFixed(0)} µs of CPU per request, ${measurement.microsPerRequest.mainThread.toFixed(0)} µs on the main thread`}${measurement.mainIdleShare === undefined ? '' : `; main thread idle ${(measurement.mainIdleShare * 100).toFixed(0)} %${measurement.mainIdleShare > 0.15 ? ': generator-bound' : ''}`})`,
    );
  if (options.rsTree) options.log(`resource servers from ${options.rsTree}`);
  if (options.issuerTree) options.log(`issuers from ${options.issuerTree}`);
  const issuers: [Measurement, Measurement] | undefined =
    options.only === 'rs' ? undefined : [await issuance('RS256', bench), await issuance('ES256', bench)];
  if (issuers) {
    report('issuer RS256', issuers[0]);
    report('issuer ES256', issuers[1]);
  }
  const validate = options.only === 'issuer' ? undefined : await validation(bench);
  if (validate) {
    report('RS uncached', validate.uncachedPool);
    report('RS hot token', validate.hotToken);
    report('bare node:http, before', validate.bareRuns[0]);
    report('bare node:http, after', validate.bareRuns[1]);
  }
  const opensslAfter = await opensslCeiling(3, pin);
  opensslLine('after', opensslAfter);
  const ceiling: OpensslCeiling = {
    rs256SignPerSecond: Math.max(opensslBefore.rs256SignPerSecond, opensslAfter.rs256SignPerSecond),
    rs256VerifyPerSecond: Math.max(opensslBefore.rs256VerifyPerSecond, opensslAfter.rs256VerifyPerSecond),
    es256SignPerSecond: Math.max(opensslBefore.es256SignPerSecond, opensslAfter.es256SignPerSecond),
  };
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
  const rows: Row[] = [['measurement', 'wall', 'core', 'per CPU-s', 'ceiling (per CPU second)', '', 'ratio', 'wall ratio']];
  if (issuers) {
    rows.push(
      row(
        'issuer RS256 client_credentials',
        issuers[0],
        'openssl RS256 sign (server core)',
        ceiling.rs256SignPerSecond,
        ceiling.rs256SignPerSecond,
      ),
      row(
        'issuer ES256 client_credentials',
        issuers[1],
        'openssl ES256 sign (server core)',
        ceiling.es256SignPerSecond,
        ceiling.es256SignPerSecond,
      ),
    );
  }
  if (validate) {
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
  const all = [...(issuers ?? []), ...(validate ? [validate.uncachedPool, validate.hotToken, validate.bare] : [])];
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
      ...(issuers
        ? ([
            ['issuer ES256', issuers[1]],
            ['issuer RS256', issuers[0]],
          ] as [string, Measurement][])
        : []),
    ];
    const near = candidates.filter(([, measurement]) => measurement.run.requestRate >= 0.85 * validate.bare.run.requestRate);
    options.log(
      `note: the bare server's ${rate(validate.bare.run.requestRate)} is the generator's ceiling here (k6 ${pin.server.length ? 'on one core' : 'sharing the cores'}); the HTTP ceilings come from it, so they are lower bounds (an unsaturated server also spends more CPU per request)${near.length ? `, and ${near.map(([name]) => name).join(', ')} reached ≥ 85 % of it: generator-bound, the server may do more` : ''}`,
    );
  }
  options.log('targets: RS256 issuance ≥ 80 % of the sign ceiling; the uncached RS ≥ 60 % of the verify + HTTP ceiling');
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
    },
  });
  if (values.only !== undefined && values.only !== 'issuer' && values.only !== 'rs')
    throw new Error(`--only ${values.only}: expected issuer or rs`);
  if (parseDurationMs(values.duration) === undefined) throw new Error(`--duration ${values.duration} is not a duration`);
  await runBench({
    duration: values.duration,
    vus: Number(values.vus),
    workDir: mkdtempSync(join(tmpdir(), 'tokenproof-bench-')),
    log: (line) => process.stdout.write(`${line}\n`),
    ...(values.profile && { profileDir: values.profile }),
    ...(values.only && { only: values.only as 'issuer' | 'rs' }),
    ...(values['rs-tree'] && { rsTree: values['rs-tree'] }),
    ...(values['issuer-tree'] && { issuerTree: values['issuer-tree'] }),
  });
}
