import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EnvironmentError } from '../../harness/lib/errors.ts';
import { toolPath, toolsDir } from '../../harness/tools/paths.ts';
import { formatElapsed, type Inspection, installGoTool, planSetup, runSetup } from '../../harness/tools/setup.ts';
import { goTools, goVersionAtLeast, parseGoVersion, parseToolVersion } from '../../harness/tools/versions.ts';

const execFileAsync = promisify(execFile);

describe('parseToolVersion', () => {
  it('reads the versions the tools print', () => {
    expect(parseToolVersion('k6', 'k6 v1.8.1 (go1.26.8, linux/amd64)\n')).toBe('v1.8.1');
    expect(parseToolVersion('toxiproxy', 'toxiproxy-server version 2.12.0\n')).toBe('v2.12.0');
    expect(
      parseToolVersion(
        'chromium',
        'Chromium 156.0.8078.79 built on Debian GNU/Linux 12 (bookworm)\n/usr/bin/chromium: 9: [: unexpected operator\n',
      ),
    ).toBe('156.0.8078.79');
    expect(
      parseToolVersion('faketime', "\n/usr/bin/faketime: Version 0.9.10\nFor usage information please use 'faketime --help'.\n"),
    ).toBe('0.9.10');
  });

  it('gives an unstamped toxiproxy build a version that matches no pin', () => {
    expect(parseToolVersion('toxiproxy', 'toxiproxy-server version git\n')).not.toBe(goTools.toxiproxy.version);
  });

  it('returns undefined for output that is not the tool', () => {
    expect(parseToolVersion('k6', 'bash: k6: command not found')).toBeUndefined();
    expect(parseToolVersion('toxiproxy', 'k6 v1.8.1 (go1.26.8, linux/amd64)')).toBeUndefined();
  });
});

describe('Go version', () => {
  it('parses release, rc and devel versions', () => {
    expect(parseGoVersion('go version go1.26.8 linux/amd64')).toEqual([1, 26, 8]);
    expect(parseGoVersion('go version go1.25rc1 linux/amd64')).toEqual([1, 25, 0]);
    expect(parseGoVersion('go version devel go1.27-abc123 linux/amd64')).toEqual([1, 27, 0]);
    expect(parseGoVersion('bash: go: command not found')).toBeUndefined();
  });

  it('compares against the minimum component by component', () => {
    expect(goVersionAtLeast([1, 26, 8], '1.25')).toBe(true);
    expect(goVersionAtLeast([1, 25, 0], '1.25')).toBe(true);
    expect(goVersionAtLeast([1, 24, 13], '1.25')).toBe(false);
    expect(goVersionAtLeast([1, 9, 0], '1.25')).toBe(false);
    expect(goVersionAtLeast([2, 0, 0], '1.25')).toBe(true);
  });
});

describe('planSetup', () => {
  const ready: Inspection = {
    goTools: { k6: goTools.k6.version, toxiproxy: goTools.toxiproxy.version },
    systemTools: { chromium: '156.0.8078.79', faketime: '0.9.10', xmllint: '20914' },
    goVersion: 'go version go1.26.8 linux/amd64',
    isRoot: false,
    hasAptGet: true,
  };

  it('does nothing when every tool is present at its pin', () => {
    expect(planSetup(ready)).toEqual({ goInstalls: [], aptPackages: [], problems: [] });
  });

  it('needs no Go when the Go tools are already installed', () => {
    expect(planSetup({ ...ready, goVersion: undefined }).problems).toEqual([]);
  });

  it('reinstalls a tool at the wrong version and installs a missing one', () => {
    const plan = planSetup({ ...ready, goTools: { k6: 'v1.7.0', toxiproxy: undefined } });
    expect(plan.goInstalls).toEqual(['k6', 'toxiproxy']);
    expect(plan.problems).toEqual([]);
  });

  it('refuses without Go, naming the minimum version', () => {
    const plan = planSetup({ ...ready, goTools: { ...ready.goTools, k6: undefined }, goVersion: undefined });
    expect(plan.problems).toHaveLength(1);
    expect(plan.problems[0]?.problem).toMatch(/k6 must be built with Go 1\.25 or newer, but there is no `go` on PATH/);
    expect(plan.problems[0]?.fix).toMatch(/install Go 1\.25 or newer/);
  });

  it('refuses a Go that is too old', () => {
    const plan = planSetup({
      ...ready,
      goTools: { ...ready.goTools, k6: undefined },
      goVersion: 'go version go1.24.3 linux/amd64',
    });
    expect(plan.problems[0]?.problem).toMatch(/found go version go1\.24\.3/);
  });

  it('installs missing system packages with apt-get as root', () => {
    const plan = planSetup({
      ...ready,
      isRoot: true,
      systemTools: { chromium: undefined, faketime: undefined, xmllint: undefined },
    });
    expect(plan.aptPackages).toEqual(['chromium', 'faketime', 'libxml2-utils']);
    expect(plan.problems).toEqual([]);
  });

  it('tells a non-root user exactly which packages to install', () => {
    const plan = planSetup({ ...ready, systemTools: { ...ready.systemTools, faketime: undefined } });
    expect(plan.problems).toEqual([
      {
        problem: 'missing faketime, and not running as root, so cannot install them',
        fix: "sudo sh -c 'apt-get update && apt-get install -y faketime'",
      },
    ]);
  });

  it('reports every unfixable problem at once', () => {
    const plan = planSetup({
      ...ready,
      goTools: { k6: undefined, toxiproxy: undefined },
      systemTools: { chromium: undefined, faketime: '0.9.10', xmllint: '20914' },
      goVersion: undefined,
      isRoot: true,
      hasAptGet: false,
    });
    expect(plan.problems.map((p) => p.problem)).toEqual([
      'k6 and toxiproxy must be built with Go 1.25 or newer, but there is no `go` on PATH',
      'missing chromium, and apt-get is not available',
    ]);
  });
});

describe('formatElapsed', () => {
  it('prints seconds, then minutes and seconds', () => {
    expect(formatElapsed(400)).toBe('0s');
    expect(formatElapsed(45_200)).toBe('45s');
    expect(formatElapsed(192_000)).toBe('3m12s');
    expect(formatElapsed(600_000)).toBe('10m00s');
  });
});

// Against the real machine: the first run may build k6 from source (minutes on 2 cores).
describe('runSetup on this machine', () => {
  it('is idempotent: a second run finds every tool present and stays quiet', {
    timeout: 40 * 60_000,
  }, async () => {
    await runSetup({ log: () => {} });

    const lines: string[] = [];
    const second = await runSetup({ log: (line) => lines.push(line) });
    expect(second.tools.map((t) => [t.tool, t.action])).toEqual([
      ['k6', 'present'],
      ['toxiproxy', 'present'],
      ['chromium', 'present'],
      ['faketime', 'present'],
      ['xmllint', 'present'],
    ]);
    expect(lines).toHaveLength(1);
    expect(second.tools.find((t) => t.tool === 'k6')).toMatchObject({
      version: 'v1.8.1',
      path: toolPath('k6'),
    });

    const quietLines: string[] = [];
    await runSetup({ quiet: true, log: (line) => quietLines.push(line) });
    expect(quietLines).toEqual([]);

    const k6 = await execFileAsync(toolPath('k6'), ['version']);
    expect(k6.stdout).toMatch(/^k6 v1\.8\.1 /);
    const toxiproxy = await execFileAsync(toolPath('toxiproxy'), ['-version']);
    expect(toxiproxy.stdout).toBe('toxiproxy-server version 2.12.0\n');
    expect((await readdir(toolsDir)).filter((name) => name.startsWith('staging-'))).toEqual([]);
  });

  it('leaves the installed tool alone and no staging folder behind when go install fails', async () => {
    const before = await stat(toolPath('k6'));
    const savedProxy = process.env['GOPROXY'];
    // GOPROXY=off makes the unknown version fail at once, without asking the network.
    process.env['GOPROXY'] = 'off';
    try {
      const failing = installGoTool(
        'k6',
        { progress: () => {}, done: () => {} },
        { ...goTools.k6, version: 'v0.0.0-not-a-release' },
      );
      await expect(failing).rejects.toThrow(EnvironmentError);
      await expect(failing).rejects.toThrow(/module lookup disabled by GOPROXY=off/);
    } finally {
      if (savedProxy === undefined) delete process.env['GOPROXY'];
      else process.env['GOPROXY'] = savedProxy;
    }
    const after = await stat(toolPath('k6'));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect((await readdir(toolsDir)).filter((name) => name.startsWith('staging-'))).toEqual([]);
  });
});
