#!/usr/bin/env node
/**
 * The tokenproof command line. Every command maps its outcome to the exit codes of DESIGN.md:
 * 0 ok, 1 findings, 2 usage or profile error, 3 environment error.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { allSuites } from '../../suites/index.ts';
import { setupContainers } from '../env/containers/setup.ts';
import { ExitCode, TokenproofError, UsageError } from '../lib/errors.ts';
import { formatCatalog } from '../runner/list.ts';
import { runSetup } from '../tools/setup.ts';
import { type ChaosOptions, chaos } from './chaos.ts';
import { conform, type RunOptions, run } from './conform.ts';
import { load } from './load.ts';
import { serveIssuer } from './serve.ts';
import { type ServeResourceServerOptions, serveResourceServer } from './serve-resource-server.ts';
import { up } from './up.ts';

const version = '0.1.0';

const print = (line: string) => process.stdout.write(`${line}\n`);

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** `serve`'s flags: the resource server's options are a superset of the issuer's. */
type ServeFlags = ServeResourceServerOptions;

/** What commander parses for `conform` and `run`; the command name and version are added here. */
type ConformFlags = Omit<RunOptions, 'command' | 'version'>;

interface LoadFlags {
  scenario: string;
  env?: 'embedded' | 'containers';
  rsReplicas?: number;
  k6?: 'host' | 'container';
  target?: string;
  duration?: string;
  rate?: number;
  slo?: string[];
  findCapacity?: boolean;
  capacityBudget?: string;
  baseline?: string;
  baselineTolerance?: number;
  invalidShare?: number;
  poolSize?: number;
  prometheusRw?: string;
  emit?: string;
  parallelism?: number;
  out?: string;
  pushgateway?: string;
}

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('a positive number');
  return number;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('a whole number, 1 or more');
  return number;
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('a port is an integer 0-65535');
  return port;
}

export function buildProgram(): Command {
  const program = new Command('tokenproof')
    .description('Load, chaos and conformance harness for OAuth 2.0 / OpenID Connect token systems')
    .version(version)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command('setup')
    .description('install or verify the external tools: k6 and toxiproxy (go install, pinned), chromium and faketime (apt)')
    .option('--quiet', 'print only what was installed')
    .option('--containers', 'also: a running Docker engine, Compose, and the container images (built from local binaries)')
    .action(async (options: { quiet?: boolean; containers?: boolean }) => {
      await runSetup({ quiet: options.quiet ?? false, log: print });
      // After runSetup: the images are built from the pinned binaries it installs.
      if (options.containers) await setupContainers({ log: print });
    });

  const environmentFlags = (command: Command) =>
    command
      .addOption(
        new Option('--env <where>', 'where the reference stack runs: local processes or Docker (testcontainers)').choices([
          'embedded',
          'containers',
        ]),
      )
      .option(
        '--rs-replicas <n>',
        '--env containers: reference resource servers that trust the issuer (V08 measures each)',
        positiveInteger,
      );

  // Only the commands that run k6 (run, load, chaos).
  const k6Flag = (command: Command) =>
    command.addOption(
      new Option(
        '--k6 <where>',
        "where k6 runs: the host binary (.tools/bin/k6), or the k6 image on the run's Docker network (default with --env containers)",
      ).choices(['host', 'container']),
    );

  const conformOptions = (command: Command) =>
    environmentFlags(command)
      .option('--target <file>', 'target profile (YAML); default: the embedded reference stack')
      .option('--suites <a,b>', 'only these suites (see `tokenproof list`)', list)
      .option('--checks <id,...>', 'only these checks, by id or catalog code (e.g. jwks.rotation,D05)', list)
      .option('--out <dir>', 'where run folders are written', 'reports')
      .option('--pushgateway <url>', 'also push the run metrics to this Prometheus Pushgateway')
      .option(
        '--expect <file>',
        'known findings (YAML list of {check, outcome, reason?, note?}): reported as expected, not failing',
      )
      .option('--strict-expect', 'also fail when a listed finding no longer happens (fixed: remove it from the list)');

  conformOptions(
    program.command('conform').description('run the conformance suites against a target and write the reports'),
  ).action(async (flags: ConformFlags) => {
    process.exitCode = await conform({ ...flags, command: 'tokenproof conform', version }, print);
  });

  k6Flag(
    conformOptions(
      program
        .command('run')
        .description('the main job: conformance, a short load phase and a short game day against the target, one report'),
    ),
  )
    .option('--skip-load', 'leave out the load phase')
    .option('--skip-chaos', 'leave out the chaos phase (the default game day)')
    .action(async (flags: ConformFlags) => {
      process.exitCode = await run({ ...flags, command: 'tokenproof run', version }, print);
    });

  k6Flag(
    environmentFlags(
      program
        .command('load')
        .description('run a k6 load scenario against the target with SLO gating and correctness counters, and write the reports'),
    ),
  )
    .requiredOption('--scenario <name>', 'issuance, validation, refresh-storm, introspection or mixed')
    .option('--target <file>', 'target profile (YAML); default: the embedded reference stack')
    .option('--duration <d>', 'how long k6 runs (each step of --find-capacity)', '30s')
    .option('--rate <n>', 'arrivals per second (the start rate of --find-capacity)', positiveNumber, 50)
    .option('--slo <name=value,...>', 'SLOs over the profile, e.g. issuanceP95=50ms,availability=0.999', list)
    .option('--find-capacity', 'search the highest rate that meets every SLO (bisection, bounded in time)')
    .option('--capacity-budget <d>', 'time budget of --find-capacity', '5m')
    .option('--baseline <report.json>', 'fail when p95 grows or throughput falls against this earlier report')
    .option('--baseline-tolerance <percent>', 'allowed regression against --baseline', positiveNumber, 10)
    .option('--invalid-share <fraction>', 'share of each of expired, forged and revoked tokens in the pool', Number, 0.05)
    .option('--pool-size <n>', 'distinct tokens in the pool', positiveNumber)
    .option('--prometheus-rw <url>', "also send k6's metrics to this Prometheus remote-write URL")
    .option('--emit <kind>', 'write a manifest instead of running: k6-operator')
    .option('--parallelism <n>', 'k6-operator runners', positiveNumber)
    .option('--out <dir>', 'where run folders (and emitted manifests) are written', 'reports')
    .option('--pushgateway <url>', 'also push the run metrics to this Prometheus Pushgateway')
    .action(async (flags: LoadFlags) => {
      process.exitCode = await load({ ...flags, command: 'tokenproof load', version }, print);
    });

  k6Flag(
    environmentFlags(
      program
        .command('chaos')
        .description(
          'run a game day: real toxiproxy faults and clock skew under k6 load, judged by the resilience checks C01-C07',
        ),
    ),
  )
    .requiredOption('--gameday <file>', 'a game-day YAML file (scenarios/gamedays/)')
    .option('--target <file>', 'target profile (YAML); default: the embedded reference stack')
    .option('--emit <kind>', 'write manifests instead of running: chaos-mesh (Workflow + k6-operator TestRun)')
    .option(
      '--toxiproxy <url>',
      "use this running toxiproxy instead of starting one (overrides the profile's chaos.toxiproxy.url)",
    )
    .option(
      '--prometheus-rw <url>',
      "--emit chaos-mesh: where the load's k6 runners remote-write (results come back through Prometheus)",
    )
    .option('--out <dir>', 'where run folders (and emitted manifests) are written', 'reports')
    .option('--pushgateway <url>', 'also push the run metrics to this Prometheus Pushgateway')
    .action(async (flags: Omit<ChaosOptions, 'command' | 'version'>) => {
      process.exitCode = await chaos({ ...flags, command: 'tokenproof chaos', version }, print);
    });

  environmentFlags(
    program
      .command('up')
      .description('start the reference stack (issuer, resource servers, test issuer), print its URLs, run until Ctrl-C'),
  ).action(async (flags: { env?: string; rsReplicas?: number }) => {
    await up(print, flags);
  });

  program
    .command('list')
    .description('list the suites and checks, with level and spec clauses')
    .action(() => {
      print(formatCatalog(allSuites));
    });

  program
    .command('serve')
    .description('run one reference server in the foreground until Ctrl-C')
    .addArgument(new Command().createArgument('<server>', 'which server').choices(['issuer', 'resource-server']))
    .option('--port <n>', 'listen port (default: a free port)', portNumber)
    .option('--host <address>', 'listen address', '127.0.0.1')
    .addOption(
      new Option(
        '--config <file>',
        'YAML configuration (issuer: clients, users, keys, TTLs, modes; resource server: issuer, audience, caches, policies)',
      ),
    )
    .option('--issuer <url>', 'resource-server: the issuer it trusts (discovery, JWKS)')
    .option('--audience <aud>', 'resource-server: its audience')
    .option('--scope <scopes>', 'resource-server: scope every protected route requires (space or comma separated)')
    .option('--jwks-uri <url>', 'resource-server: JWKS URL instead of the one from discovery')
    .action(async (server: string, options: ServeFlags) => {
      if (server === 'issuer') {
        const stray = (['issuer', 'audience', 'scope', 'jwksUri'] as const).filter((flag) => options[flag] !== undefined);
        if (stray.length)
          throw new UsageError(
            `--${stray[0]!.replace('jwksUri', 'jwks-uri')} is an option of serve resource-server, not of serve issuer`,
          );
        await serveIssuer(options, print);
      } else {
        await serveResourceServer(options, print);
      }
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    process.exitCode = undefined;
    await buildProgram().parseAsync(argv, { from: 'user' });
    return (process.exitCode as number | undefined) ?? ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof TokenproofError) {
      process.stderr.write(`tokenproof: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`tokenproof: internal error: ${(error as Error).stack ?? error}\n`);
    return ExitCode.findings;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
