/**
 * `tokenproof conform` (and, for now, `tokenproof run`): profile → environment → checks →
 * reports. Without --target the embedded reference stack is started and checked.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { allSuites } from '../../suites/index.ts';
import { startEmbedded } from '../env/embedded.ts';
import { type LaunchedProcess, stopLaunchedOnInterrupt } from '../env/launch.ts';
import { launchProfileTargets, preflight, registerProfileSecrets } from '../env/prepare.ts';
import { ExitCode } from '../lib/errors.ts';
import { loadProfile } from '../profile/load.ts';
import { standardReporters, writeReports } from '../reporting/index.ts';
import { runFailed } from '../runner/model.ts';
import { Redactor } from '../runner/redactor.ts';
import { runChecks, selectChecks } from '../runner/run.ts';
import type { Target } from '../runner/target.ts';
import { type RunningTestIssuer, startHarnessIssuer } from '../test-issuer/server.ts';

export interface ConformOptions {
  target?: string;
  suites?: string[];
  checks?: string[];
  out?: string;
  pushgateway?: string;
  command: string;
  version: string;
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export function conform(options: ConformOptions, print: (line: string) => void): Promise<ExitCode> {
  return stopLaunchedOnInterrupt(() => conformRun(options, print));
}

async function conformRun(options: ConformOptions, print: (line: string) => void): Promise<ExitCode> {
  // Usage errors come first, before anything is started.
  const checks = selectChecks(allSuites, { suites: options.suites, checks: options.checks });
  const loaded = options.target ? loadProfile(options.target) : undefined;
  const runId = newRunId();
  const reportsBase = resolve(options.out ?? 'reports');
  const runDir = join(reportsBase, runId);
  const workDir = join(runDir, 'logs');
  mkdirSync(workDir, { recursive: true });

  const redactor = new Redactor();
  const processes: LaunchedProcess[] = [];
  let harnessIssuer: RunningTestIssuer | undefined;
  try {
    let target: Target;
    if (loaded) {
      target = { name: loaded.profile.name, profile: loaded.profile, baseDir: loaded.baseDir, file: loaded.file };
      registerProfileSecrets(redactor, loaded.profile);
      const resourceServer = loaded.profile.resourceServer;
      if (resourceServer?.trusts === 'harness') {
        // Started before the targets: a launched resource server is pointed at it.
        harnessIssuer = await startHarnessIssuer({
          audience: resourceServer.audience,
          ...(resourceServer.scope && { scope: resourceServer.scope }),
        });
        target.testIssuer = harnessIssuer;
        print(`harness test issuer at ${harnessIssuer.url}`);
      }
      const placeholders: Record<string, string> = {
        runDir,
        ...(harnessIssuer && {
          'testIssuer.url': harnessIssuer.url,
          'testIssuer.jwksUri': harnessIssuer.jwksUri,
          'testIssuer.discoveryUri': harnessIssuer.discoveryUri,
        }),
      };
      processes.push(
        ...(await launchProfileTargets(loaded.profile, { baseDir: loaded.baseDir, workDir, placeholders, log: print })),
      );
    } else {
      const stack = await startEmbedded({ workDir, log: print });
      processes.push(...stack.processes);
      target = { name: stack.profile.name, profile: stack.profile, baseDir: process.cwd() };
      registerProfileSecrets(redactor, stack.profile);
    }
    await preflight(target.profile);

    const suites = [...new Set(checks.map((check) => check.suite))];
    const meta = {
      runId,
      tool: { name: 'tokenproof' as const, version: options.version },
      target: {
        name: target.name,
        ...(target.profile.issuer && { issuer: target.profile.issuer.url }),
        ...(target.profile.resourceServer && { resourceServer: target.profile.resourceServer.url }),
      },
      command: options.command,
      startedAt: new Date().toISOString(),
      suites,
    };
    const reporters = standardReporters(options.pushgateway ? { prometheus: { pushgateway: options.pushgateway } } : {});
    const result = await runChecks({ target, checks, reporters, meta, redactor });
    await writeReports(result, reporters, reportsBase);
    return runFailed(result) ? ExitCode.findings : ExitCode.ok;
  } finally {
    await Promise.all(processes.map((process) => process.stop()));
    await harnessIssuer?.close();
  }
}
