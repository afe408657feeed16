/** Tool discovery: the environment variable, then the PATH (version-checked), then what setup installed. */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvironmentError } from '../../harness/lib/errors.ts';
import { chromiumPath, describeTool, discoverTool, requireDiscoveredTool } from '../../harness/tools/discover.ts';
import { toolPath } from '../../harness/tools/paths.ts';
import { type Inspection, planSetup } from '../../harness/tools/setup.ts';
import { goTools, parseToolVersion, versionInRange } from '../../harness/tools/versions.ts';

/** A folder with one executable shell script named `name`. */
function fakeBinary(name: string, script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokenproof-tools-'));
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return dir;
}

describe('versionInRange', () => {
  it('accepts the supported majors and says why it refuses the others', () => {
    expect(versionInRange('k6', 'v1.8.1')).toEqual({ ok: true });
    expect(versionInRange('k6', 'v1.0.0')).toEqual({ ok: true });
    expect(versionInRange('k6', 'v0.49.0')).toMatchObject({
      ok: false,
      why: 'is v0.49.0, too old: tokenproof needs k6 1.0.0 or newer (below 2.0.0)',
    });
    expect(versionInRange('k6', 'v2.0.0')).toMatchObject({
      ok: false,
      why: expect.stringMatching(/newer than tokenproof supports/),
    });
    expect(versionInRange('toxiproxy', 'v2.12.0')).toEqual({ ok: true });
    expect(versionInRange('toxiproxy', 'v2.1.4')).toMatchObject({ ok: false });
    expect(versionInRange('chromium', '156.0.8078.79')).toEqual({ ok: true });
    expect(versionInRange('chromium', '99.0.1')).toMatchObject({ ok: false });
    expect(versionInRange('k6', undefined)).toMatchObject({ ok: false, why: 'reports no version' });
  });

  it('reads Google Chrome and Chrome for Testing versions too', () => {
    expect(parseToolVersion('chromium', 'Google Chrome 131.0.6778.85 \n')).toBe('131.0.6778.85');
    expect(parseToolVersion('chromium', 'Google Chrome for Testing 131.0.6778.85\n')).toBe('131.0.6778.85');
  });
});

describe('discoverTool', () => {
  const emptyPath = { PATH: mkdtempSync(join(tmpdir(), 'tokenproof-empty-')) };

  it('takes TOKENPROOF_K6 first and says so', async () => {
    const { found } = await discoverTool('k6', { ...emptyPath, TOKENPROOF_K6: toolPath('k6') });
    expect(found).toMatchObject({ path: toolPath('k6'), version: goTools.k6.version, source: 'environment' });
    expect(describeTool(found!)).toBe(`k6 ${goTools.k6.version} (${toolPath('k6')}, from TOKENPROOF_K6)`);
  });

  it('refuses an explicit binary that is too old, naming the variable and the range', async () => {
    const dir = fakeBinary('k6', 'echo "k6 v0.45.0 (go1.20, linux/amd64)"');
    const found = discoverTool('k6', { ...emptyPath, TOKENPROOF_K6: join(dir, 'k6') });
    await expect(found).rejects.toThrow(EnvironmentError);
    await expect(found).rejects.toThrow(/TOKENPROOF_K6=.*k6 is v0\.45\.0, too old: tokenproof needs k6 1\.0\.0 or newer/);
  });

  it('uses a supported k6 on PATH before the one setup built', async () => {
    const dir = fakeBinary('k6', `exec ${toolPath('k6')} "$@"`);
    const { found } = await discoverTool('k6', { PATH: dir });
    expect(found).toMatchObject({ path: join(dir, 'k6'), source: 'path', version: goTools.k6.version });
  });

  it('passes over a k6 on PATH that is too old, says why, and falls back to what setup built', async () => {
    const dir = fakeBinary('k6', 'echo "k6 v0.47.0 (go1.21, linux/amd64)"');
    const { found, rejected } = await discoverTool('k6', { PATH: dir });
    expect(found).toMatchObject({ path: toolPath('k6'), source: 'setup' });
    expect(rejected).toEqual([{ path: join(dir, 'k6'), source: 'path', why: expect.stringMatching(/is v0\.47\.0, too old/) }]);
  });

  it('finds toxiproxy-server on PATH by its name', async () => {
    const dir = fakeBinary('toxiproxy-server', 'echo "toxiproxy-server version 2.9.0"');
    const found = await requireDiscoveredTool('toxiproxy', { PATH: dir });
    expect(found).toMatchObject({ path: join(dir, 'toxiproxy-server'), version: 'v2.9.0', source: 'path' });
  });

  it("gives the login step a Chromium (PATH, Playwright's, or Debian's)", async () => {
    const path = await chromiumPath();
    expect(path).toMatch(/chrom/);
    const dir = fakeBinary('chromium', 'echo "Chromium 80.0.1 built on nothing"');
    const { found, rejected } = await discoverTool('chromium', { PATH: dir });
    expect(rejected[0]).toMatchObject({ path: join(dir, 'chromium'), why: expect.stringMatching(/is 80\.0\.1, too old/) });
    expect(found?.source).toMatch(/playwright|setup/);
  });
});

describe('planSetup with the user’s own tools', () => {
  const base: Inspection = {
    goTools: { k6: undefined, toxiproxy: undefined },
    systemTools: { chromium: undefined, faketime: '0.9.10', xmllint: '20914' },
    goVersion: undefined,
    isRoot: true,
    hasAptGet: true,
  };

  it('builds nothing that discovery already found, and needs no Go for it', () => {
    const plan = planSetup({
      ...base,
      usable: {
        k6: { tool: 'k6', path: '/usr/bin/k6', version: 'v1.4.0', source: 'path' },
        toxiproxy: { tool: 'toxiproxy', path: '/opt/toxiproxy-server', version: 'v2.9.0', source: 'environment' },
        chromium: { tool: 'chromium', path: '/root/.cache/ms-playwright/chrome', version: '140.0', source: 'playwright' },
      },
    });
    expect(plan).toEqual({ goInstalls: [], aptPackages: [], problems: [] });
  });

  it('still builds what is missing', () => {
    const plan = planSetup({
      ...base,
      goVersion: 'go version go1.26.8 linux/amd64',
      usable: { k6: { tool: 'k6', path: '/usr/bin/k6', version: 'v1.4.0', source: 'path' } },
    });
    expect(plan.goInstalls).toEqual(['toxiproxy']);
    expect(plan.aptPackages).toEqual(['chromium']);
  });
});
