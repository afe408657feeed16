/**
 * `npm run bench`: how close the reference stack gets to this machine's limits, measured in one
 * run. Prints the reference issuer's client_credentials tokens/s (one process, RS256 and
 * ES256) beside `openssl speed`'s single-core sign rate, and the reference resource server's
 * validations/s beside a bare node:http server answering the same request; and each ratio.
 * Load generator: k6 (the real binary from `tokenproof setup`). Numbers, not assertions.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { stringify } from 'yaml';
import { freePort } from '../env/free-port.ts';
import { type LaunchedProcess, launch } from '../env/launch.ts';
import { parseDurationMs } from '../lib/duration.ts';
import { type K6Run, runK6 } from '../load/k6.ts';
import { tokenRequest } from '../oauth/client.ts';
import { repoRoot, requireTool } from '../tools/paths.ts';

const execFileAsync = promisify(execFile);
const cli = join(repoRoot, 'harness', 'cli', 'main.ts');
const scenario = (name: string) => join(repoRoot, 'scenarios', 'bench', name);

export interface OpensslCeiling {
  rs256SignPerSecond: number;
  es256SignPerSecond: number;
}

/** Parses `openssl speed rsa2048 ecdsap256` output: the sign/s column of each line. */
export function parseOpensslSpeed(output: string): OpensslCeiling {
  const rsa = /^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)/m.exec(output);
  const ecdsa = /^\s*256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)/m.exec(output);
  if (!rsa || !ecdsa) throw new Error(`cannot read openssl speed output:\n${output}`);
  return { rs256SignPerSecond: Number(rsa[1]), es256SignPerSecond: Number(ecdsa[1]) };
}

async function opensslCeiling(seconds: number): Promise<OpensslCeiling> {
  const { stdout } = await execFileAsync('openssl', ['speed', '-seconds', String(seconds), 'rsa2048', 'ecdsap256'], {
    maxBuffer: 1 << 20,
  });
  return parseOpensslSpeed(stdout);
}

interface BenchOptions {
  duration: string;
  vus: number;
  workDir: string;
  log: (line: string) => void;
}

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
    command: [globalThis.process.execPath, cli, 'serve', 'issuer', '--port', String(port), '--config', configFile],
    env: { BENCH_CLIENT_SECRET: secret },
    ready: `${url}/health`,
    readyTimeoutMs: 30_000,
    logFile: join(options.workDir, `issuer-${alg}.log`),
  });
  return { url, process };
}

async function issuance(alg: 'RS256' | 'ES256', options: BenchOptions): Promise<K6Run> {
  const secret = randomBytes(24).toString('base64url');
  const issuer = await startIssuerProcess(alg, options, secret);
  try {
    options.log(`k6: ${options.vus} VUs for ${options.duration} → ${alg} client_credentials at ${issuer.url}/token`);
    return await runK6(scenario('issuance.js'), {
      TOKEN_URL: `${issuer.url}/token`,
      CLIENT_ID: 'bench',
      CLIENT_SECRET: secret,
      VUS: String(options.vus),
      DURATION: options.duration,
    });
  } finally {
    await issuer.process.stop();
  }
}

const bareServer = `require('node:http').createServer((req, res) => {
  const body = JSON.stringify({ sub: 'bench', client_id: 'bench', scope: 'read' });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}).listen(Number(process.env.PORT), '127.0.0.1');`;

async function validation(options: BenchOptions): Promise<{ resourceServer: K6Run; bare: K6Run }> {
  const secret = randomBytes(24).toString('base64url');
  const issuer = await startIssuerProcess('RS256', options, secret);
  const started: LaunchedProcess[] = [issuer.process];
  try {
    const rsPort = await freePort();
    const rsUrl = `http://127.0.0.1:${rsPort}`;
    started.push(
      await launch({
        name: 'resource server',
        command: [
          process.execPath,
          cli,
          'serve',
          'resource-server',
          '--issuer',
          issuer.url,
          '--audience',
          'api://bench',
          '--port',
          String(rsPort),
        ],
        env: {},
        ready: `${rsUrl}/health`,
        readyTimeoutMs: 30_000,
        logFile: join(options.workDir, 'resource-server.log'),
      }),
    );
    const token = await tokenRequest(
      `${issuer.url}/token`,
      { grant_type: 'client_credentials', resource: 'api://bench' },
      { method: 'client_secret_basic', clientId: 'bench', secret },
    );
    if (!token.body.access_token) throw new Error(`the bench issuer gave no token: HTTP ${token.status}`);
    options.log(`k6: ${options.vus} VUs for ${options.duration} → GET ${rsUrl}/protected with a bearer token`);
    const resourceServer = await runK6(scenario('protected.js'), {
      TARGET_URL: `${rsUrl}/protected`,
      TOKEN: token.body.access_token,
      VUS: String(options.vus),
      DURATION: options.duration,
    });

    const barePort = await freePort();
    const bareProcess = await launch({
      name: 'bare node:http server',
      command: [process.execPath, '-e', bareServer],
      env: { PORT: String(barePort) },
      ready: `http://127.0.0.1:${barePort}/`,
      readyTimeoutMs: 10_000,
      logFile: join(options.workDir, 'bare.log'),
    });
    started.push(bareProcess);
    options.log(`k6: ${options.vus} VUs for ${options.duration} → GET a bare node:http server`);
    const bare = await runK6(scenario('protected.js'), {
      TARGET_URL: `http://127.0.0.1:${barePort}/`,
      VUS: String(options.vus),
      DURATION: options.duration,
    });
    return { resourceServer, bare };
  } finally {
    await Promise.all(started.map((handle) => handle.stop()));
  }
}

const rate = (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`;
const percent = (value: number) => `${(value * 100).toFixed(0)} %`;

export async function runBench(options: BenchOptions): Promise<void> {
  const k6 = await requireTool('k6');
  const { stdout: k6Version } = await execFileAsync(k6, ['version']);
  options.log(`load generator: ${k6Version.trim()}; ${options.vus} VUs, ${options.duration} per measurement`);
  options.log('measuring the openssl speed sign ceiling (one core)…');
  const ceiling = await opensslCeiling(3);
  options.log(`  openssl: RS256 ${rate(ceiling.rs256SignPerSecond)}, ES256 ${rate(ceiling.es256SignPerSecond)}`);
  const rs256 = await issuance('RS256', options);
  options.log(`  issuer RS256: ${rate(rs256.requestRate)}`);
  const es256 = await issuance('ES256', options);
  options.log(`  issuer ES256: ${rate(es256.requestRate)}`);
  const validate = await validation(options);

  const rows: [string, string, string, string, string][] = [
    [
      'issuer RS256 client_credentials',
      rate(rs256.requestRate),
      'openssl RS256 sign (1 core)',
      rate(ceiling.rs256SignPerSecond),
      percent(rs256.requestRate / ceiling.rs256SignPerSecond),
    ],
    [
      'issuer ES256 client_credentials',
      rate(es256.requestRate),
      'openssl ES256 sign (1 core)',
      rate(ceiling.es256SignPerSecond),
      percent(es256.requestRate / ceiling.es256SignPerSecond),
    ],
    [
      'resource server RS256 validation',
      rate(validate.resourceServer.requestRate),
      'bare node:http server',
      rate(validate.bare.requestRate),
      percent(validate.resourceServer.requestRate / validate.bare.requestRate),
    ],
  ];
  const widths = [0, 1, 2, 3, 4].map((column) => Math.max(...rows.map((row) => row[column]!.length), 8));
  options.log('');
  for (const row of rows)
    options.log(
      row
        .map((cell, column) =>
          column === 1 || column === 3 || column === 4 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
        )
        .join('  '),
    );
  const failed = [rs256, es256, validate.resourceServer, validate.bare].filter((run) => run.checkPassRate < 1);
  if (failed.length)
    options.log(
      `note: ${failed.length} measurement(s) had failed requests (check pass rate below 100 %); their rates include errors`,
    );
  options.log('targets: RS256 issuance ≥ 60 % of the openssl ceiling; RS validation ≥ 50 % of the bare server');
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { duration: { type: 'string', default: '10s' }, vus: { type: 'string', default: '16' } },
  });
  if (parseDurationMs(values.duration) === undefined) throw new Error(`--duration ${values.duration} is not a duration`);
  await runBench({
    duration: values.duration,
    vus: Number(values.vus),
    workDir: mkdtempSync(join(tmpdir(), 'tokenproof-bench-')),
    log: (line) => process.stdout.write(`${line}\n`),
  });
}
