/**
 * The external tools tokenproof drives, their pinned versions, and how to read back the
 * version a binary reports. Bumping a pin here is enough: `tokenproof setup` sees the
 * mismatch on its next run and reinstalls.
 */

export type GoToolName = 'k6' | 'toxiproxy';
export type SystemToolName = 'chromium' | 'faketime' | 'xmllint';
export type ToolName = GoToolName | SystemToolName;

export interface GoToolPin {
  /** The package `go install` builds. */
  package: string;
  /** A module version, with the leading `v`. */
  version: string;
  /** The name `go install` gives the binary: the last element of the package path. */
  builtBinary: string;
  installFlags: readonly string[];
  /** Arguments that make the binary print its version. */
  versionArgs: readonly string[];
}

/** The `go` directive of go.k6.io/k6@v1.8.1's go.mod (toxiproxy v2.12.0 needs only 1.23). */
export const minimumGoVersion = '1.25';

export const goTools: Record<GoToolName, GoToolPin> = {
  k6: {
    package: 'go.k6.io/k6',
    version: 'v1.8.1',
    builtBinary: 'k6',
    installFlags: [],
    versionArgs: ['version'],
  },
  toxiproxy: {
    package: 'github.com/Shopify/toxiproxy/v2/cmd/server',
    version: 'v2.12.0',
    builtBinary: 'server',
    // Release builds stamp the version at link time (upstream .goreleaser.yml); a plain
    // `go install` reports "git", which would not tell one build from another.
    installFlags: ['-ldflags=-X github.com/Shopify/toxiproxy/v2.Version=2.12.0'],
    versionArgs: ['-version'],
  },
};

export const goToolNames = Object.keys(goTools) as GoToolName[];

/** Not pinned: whatever the Debian release ships is what tokenproof is tested with. */
export const systemTools: Record<SystemToolName, { aptPackage: string; versionArgs: readonly string[] }> = {
  chromium: { aptPackage: 'chromium', versionArgs: ['--version'] },
  faketime: { aptPackage: 'faketime', versionArgs: ['--version'] },
  // Validates junit.xml against the JUnit schema in the tests.
  xmllint: { aptPackage: 'libxml2-utils', versionArgs: ['--version'] },
};

export const systemToolNames = Object.keys(systemTools) as SystemToolName[];

const versionPatterns: Record<ToolName, RegExp> = {
  k6: /^k6 v?(\d+\.\d+\.\d+\S*)/m, // k6 v1.8.1 (go1.26.8, linux/amd64)
  toxiproxy: /^toxiproxy-server version v?(\S+)/m, // toxiproxy-server version 2.12.0
  // Chromium 156.0.8078.79 built on Debian GNU/Linux 12; Google Chrome 1xx.0…; Chrome for Testing
  chromium: /^(?:Chromium|Google Chrome(?: for Testing)?) (\d[\d.]*)/m,
  faketime: /^\S*faketime: Version (\d[\d.]*)/m, // /usr/bin/faketime: Version 0.9.10 (it prints argv[0])
  xmllint: /^\S*xmllint: using libxml version (\d+)/m, // /usr/bin/xmllint: using libxml version 20914 (argv[0])
};

/**
 * The version in a tool's version output, or undefined when the output is not the tool's.
 * Go tools are normalised to module form (`v2.12.0`) so they compare equal to their pins;
 * an unstamped toxiproxy comes back as `vgit`, which matches no pin.
 */
export function parseToolVersion(tool: ToolName, output: string): string | undefined {
  const version = versionPatterns[tool].exec(output)?.[1];
  if (version === undefined) return undefined;
  return tool in goTools ? `v${version}` : version;
}

/** `go version go1.26.8 linux/amd64` → [1, 26, 8]; also `go1.25rc1` and `devel go1.27-abc`. */
export function parseGoVersion(output: string): [number, number, number] | undefined {
  const match = /\bgo(\d+)\.(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

export function goVersionAtLeast(found: readonly number[], minimum: string): boolean {
  const wanted = minimum.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const difference = (found[i] ?? 0) - (wanted[i] ?? 0);
    if (difference !== 0) return difference > 0;
  }
  return true;
}

/**
 * The versions tokenproof works with when a user brings their own binary: k6 1.x runs the
 * TypeScript scenarios natively and has the k6/execution and SharedArray APIs they use;
 * toxiproxy 2.x has the HTTP API toxiproxy-node-client speaks; Chromium from 120 on runs
 * the headless mode Playwright's library drives.
 */
export const supportedVersions: Record<'k6' | 'toxiproxy' | 'chromium', { minimum: string; below?: string }> = {
  k6: { minimum: '1.0.0', below: '2.0.0' },
  toxiproxy: { minimum: '2.5.0', below: '3.0.0' },
  chromium: { minimum: '120' },
};

function compareVersions(a: string, b: string): number {
  const left = a
    .replace(/^v/, '')
    .split(/[.-]/)
    .map((part) => Number.parseInt(part, 10) || 0);
  const right = b
    .replace(/^v/, '')
    .split(/[.-]/)
    .map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Whether a reported version is supported; `why` and `wanted` are for the message when not. */
export function versionInRange(
  tool: 'k6' | 'toxiproxy' | 'chromium',
  version: string | undefined,
): { ok: true } | { ok: false; why: string; wanted: string } {
  const range = supportedVersions[tool];
  const wanted = `${tool} ${range.minimum} or newer${range.below ? ` (below ${range.below})` : ''}`;
  if (version === undefined || !/\d/.test(version)) return { ok: false, why: 'reports no version', wanted };
  if (compareVersions(version, range.minimum) < 0)
    return { ok: false, why: `is ${version}, too old: tokenproof needs ${wanted}`, wanted };
  if (range.below && compareVersions(version, range.below) >= 0)
    return { ok: false, why: `is ${version}, newer than tokenproof supports (${wanted})`, wanted };
  return { ok: true };
}
