/**
 * The images of the containers environment, built on this machine without any registry:
 *
 *   tokenproof/node-base:<node version>   `docker import` of a rootfs: the Node running tokenproof + its libraries
 *   tokenproof/tools-base:<digest>        `docker import` of a rootfs: the libraries k6 and toxiproxy link against
 *   tokenproof/reference:<version>        reference.Dockerfile FROM node-base: production node_modules + harness/ + suites/
 *   tokenproof/toxiproxy:<pin>            toxiproxy.Dockerfile FROM tools-base: .tools/bin/toxiproxy-server
 *   tokenproof/k6:<pin>                   k6.Dockerfile FROM tools-base: .tools/bin/k6
 *
 * Every image carries a label with a digest of what went into it (binary and library
 * contents, sources, lockfile, Dockerfile, base image id). An image whose tag exists with the
 * same digest is left alone; a changed input rebuilds it under the same tag. That keeps a
 * second `tokenproof setup --containers` to a few seconds and never serves stale sources
 * under a version tag that did not change.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EnvironmentError } from '../../lib/errors.ts';
import { runCommand, tail } from '../../tools/command.ts';
import { repoRoot, requireTool } from '../../tools/paths.ts';
import { type GoToolName, goTools, parseToolVersion } from '../../tools/versions.ts';
import { fileSha256, planRootfs, rootfsDigest, writeRootfsTarball } from './rootfs.ts';

const containersDir = join(repoRoot, 'harness', 'env', 'containers');
const inputsLabel = 'org.tokenproof.inputs';
const buildTimeoutMs = 20 * 60_000;

export interface ImageRefs {
  nodeBase: string;
  reference: string;
  toxiproxy: string;
  k6: string;
}

export interface ImageReport {
  ref: string;
  action: 'present' | 'built';
  /** What `docker image inspect` reports (all layers, base included). */
  sizeBytes: number;
  durationMs: number;
}

export interface BuildOptions {
  log?: (line: string) => void;
}

/** The tags docker-compose.yml and the containers environment use. tools-base is internal: tagged by content. */
export function imageRefs(packageVersion: string, nodeVersion = process.versions.node): ImageRefs {
  const pin = (tool: GoToolName) => goTools[tool].version.replace(/^v/, '');
  return {
    nodeBase: `tokenproof/node-base:${nodeVersion}`,
    reference: `tokenproof/reference:${packageVersion}`,
    toxiproxy: `tokenproof/toxiproxy:${pin('toxiproxy')}`,
    k6: `tokenproof/k6:${pin('k6')}`,
  };
}

export async function packageVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/**
 * Builds (or finds up to date) every image of the containers environment, bases first. Needs
 * a running engine (ensureDockerEngine) and the Go tools in .tools/bin (`tokenproof setup`).
 */
export async function buildBaseImages(options: BuildOptions = {}): Promise<ImageReport[]> {
  const log = options.log ?? (() => {});
  const refs = imageRefs(await packageVersion());
  const toxiproxy = await pinnedTool('toxiproxy');
  const k6 = await pinnedTool('k6');
  const reports: ImageReport[] = [];

  const nodePlan = await planRootfs({ executables: [{ source: process.execPath, target: '/usr/local/bin/node' }] });
  const nodeBase = await ensureImage(refs.nodeBase, await rootfsDigest(nodePlan), log, (digest) =>
    importRootfs(refs.nodeBase, digest, nodePlan, ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'CMD ["node"]']),
  );
  reports.push(nodeBase.report);

  const toolsPlan = await planRootfs({ librariesOf: [toxiproxy, k6] });
  const toolsDigest = await rootfsDigest(toolsPlan);
  const toolsBaseRef = `tokenproof/tools-base:${toolsDigest.slice(0, 12)}`;
  const toolsBase = await ensureImage(toolsBaseRef, toolsDigest, log, (digest) =>
    importRootfs(toolsBaseRef, digest, toolsPlan, ['ENV PATH=/usr/local/bin:/usr/bin:/bin']),
  );
  reports.push(toolsBase.report);

  reports.push(await buildReferenceImage(refs, nodeBase.id, log));

  for (const [ref, dockerfile, binary, name] of [
    [refs.toxiproxy, 'toxiproxy.Dockerfile', toxiproxy, 'toxiproxy-server'],
    [refs.k6, 'k6.Dockerfile', k6, 'k6'],
  ] as const) {
    const digest = digestOf([
      `base ${toolsBase.id}`,
      `dockerfile ${await readFile(join(containersDir, dockerfile), 'utf8')}`,
      `binary ${await fileSha256(binary)}`,
    ]);
    const populate = (context: string) => cp(binary, join(context, name));
    reports.push((await ensureImage(ref, digest, log, (d) => dockerBuild(ref, dockerfile, toolsBaseRef, d, populate))).report);
  }
  return reports;
}

async function buildReferenceImage(refs: ImageRefs, nodeBaseId: string, log: (line: string) => void): Promise<ImageReport> {
  const reference = await referenceContext(nodeBaseId);
  const built = await ensureImage(refs.reference, reference.digest, log, (digest) =>
    dockerBuild(refs.reference, 'reference.Dockerfile', refs.nodeBase, digest, reference.populate),
  );
  return built.report;
}

/**
 * The reference image as the current sources make it: present when its inputs are unchanged,
 * else rebuilt on the node-base `setup --containers` imported (a few seconds' digest, ~15 s
 * build). The containers environment calls this so a run never tests yesterday's harness/ under
 * an unchanged version tag.
 */
export async function ensureReferenceImage(options: BuildOptions = {}): Promise<ImageReport> {
  const refs = imageRefs(await packageVersion());
  const nodeBase = await inspectImage(refs.nodeBase);
  if (!nodeBase) {
    throw new EnvironmentError(
      `the base image ${refs.nodeBase} is not on this machine`,
      'run `tokenproof setup --containers` (it builds the images from local binaries, no registry needed)',
    );
  }
  return buildReferenceImage(refs, nodeBase.id, options.log ?? (() => {}));
}

/** The Go tool's binary, after checking it is the pinned version the image tag will claim. */
async function pinnedTool(tool: GoToolName): Promise<string> {
  const path = await requireTool(tool);
  const result = await runCommand(path, goTools[tool].versionArgs, { timeoutMs: 30_000 });
  const version = parseToolVersion(tool, `${result.stdout}${result.stderr}`);
  if (version !== goTools[tool].version) {
    throw new EnvironmentError(
      `${path} reports ${version ?? 'no version'}, not the pinned ${goTools[tool].version}`,
      'run `tokenproof setup` to install the pinned version',
    );
  }
  return path;
}

async function ensureImage(
  ref: string,
  digest: string,
  log: (line: string) => void,
  build: (digest: string) => Promise<void>,
): Promise<{ id: string; report: ImageReport }> {
  const started = performance.now();
  const existing = await inspectImage(ref);
  if (existing?.inputs === digest) {
    return {
      id: existing.id,
      report: { ref, action: 'present', sizeBytes: existing.size, durationMs: performance.now() - started },
    };
  }
  log(existing ? `rebuilding ${ref} (its inputs changed)` : `building ${ref}`);
  await build(digest);
  const built = await inspectImage(ref);
  if (built?.inputs !== digest) {
    throw new EnvironmentError(
      `docker built ${ref} but it does not carry the expected ${inputsLabel} label`,
      'rerun with a working Docker engine',
    );
  }
  // The image the tag pointed at before is now untagged; drop it (and its untagged parents) unless something still uses it.
  if (existing && existing.id !== built.id) await runCommand('docker', ['image', 'rm', existing.id], { timeoutMs: 60_000 });
  const durationMs = performance.now() - started;
  log(`built ${ref} (${formatBytes(built.size)}, ${(durationMs / 1000).toFixed(1)} s)`);
  return { id: built.id, report: { ref, action: 'built', sizeBytes: built.size, durationMs } };
}

async function inspectImage(ref: string): Promise<{ id: string; size: number; inputs: string | undefined } | undefined> {
  const result = await runCommand('docker', ['image', 'inspect', '--format', '{{json .}}', ref], { timeoutMs: 30_000 });
  if (!result.ok) return undefined;
  const [image] = JSON.parse(`[${result.stdout.trim()}]`) as {
    Id: string;
    Size: number;
    Config?: { Labels?: Record<string, string> | null };
  }[];
  if (image === undefined) return undefined;
  return { id: image.Id, size: image.Size, inputs: image.Config?.Labels?.[inputsLabel] };
}

async function importRootfs(
  ref: string,
  digest: string,
  plan: Awaited<ReturnType<typeof planRootfs>>,
  changes: string[],
): Promise<void> {
  await withTempDir(async (dir) => {
    const tarball = join(dir, 'rootfs.tar');
    await writeRootfsTarball(plan, join(dir, 'rootfs'), tarball);
    const args = ['import'];
    for (const change of [...changes, `LABEL ${inputsLabel}=${digest}`]) args.push('--change', change);
    const result = await runCommand('docker', [...args, tarball, ref], { timeoutMs: buildTimeoutMs });
    if (!result.ok) {
      throw new EnvironmentError(
        `docker import ${ref} failed:\n${tail(result.stderr)}`,
        'check the Docker engine (`docker info`) and its free disk space',
      );
    }
  });
}

/** `docker build` in a fresh context that holds only what the Dockerfile copies. */
async function dockerBuild(
  ref: string,
  dockerfile: string,
  baseImage: string,
  digest: string,
  populate: (context: string) => Promise<void>,
): Promise<void> {
  await withTempDir(async (context) => {
    await cp(join(containersDir, dockerfile), join(context, 'Dockerfile'));
    await writeFile(join(context, '.dockerignore'), 'Dockerfile\n.dockerignore\n');
    await populate(context);
    const args = ['build', '--pull=false', '--build-arg', `BASE_IMAGE=${baseImage}`, '--label', `${inputsLabel}=${digest}`];
    const result = await runCommand('docker', [...args, '--tag', ref, context], { timeoutMs: buildTimeoutMs });
    if (!result.ok) {
      throw new EnvironmentError(
        `docker build ${ref} failed:\n${tail(`${result.stdout}${result.stderr}`)}`,
        `check the Docker engine (\`docker info\`), its free disk space, and that ${baseImage} exists (\`docker image ls tokenproof/*\`)`,
      );
    }
  });
}

interface LockfilePackage {
  dev?: boolean;
  optional?: boolean;
  link?: boolean;
}

/**
 * The node_modules folders (`node_modules/a`, `node_modules/a/node_modules/b`) a production
 * install has, from package-lock.json. Copying these from the installed tree is offline and
 * takes about a second; `npm ci --omit=dev` would need the registry or a warm cache, and
 * refuses a lockfile that lacks other platforms' optional packages.
 */
export function productionPackages(lockfile: { packages?: Record<string, LockfilePackage> }): {
  required: string[];
  optional: string[];
} {
  const required: string[] = [];
  const optional: string[] = [];
  for (const [path, entry] of Object.entries(lockfile.packages ?? {})) {
    if (!path.startsWith('node_modules/') || entry.dev || entry.link) continue;
    (entry.optional ? optional : required).push(path);
  }
  return { required, optional };
}

/** Files no running program reads: type declarations, source maps, documentation. */
export function isPrunable(path: string): boolean {
  return /\.(d\.[cm]?ts|map|md|markdown)$/i.test(path);
}

async function referenceContext(nodeBaseId: string): Promise<{ digest: string; populate: (context: string) => Promise<void> }> {
  const lockfileText = await readFile(join(repoRoot, 'package-lock.json'), 'utf8');
  const packages = productionPackages(JSON.parse(lockfileText) as { packages?: Record<string, LockfilePackage> });
  const sourceDirs = ['harness', 'suites'];
  const digest = digestOf([
    `base ${nodeBaseId}`,
    `dockerfile ${await readFile(join(containersDir, 'reference.Dockerfile'), 'utf8')}`,
    `package.json ${await fileSha256(join(repoRoot, 'package.json'))}`,
    `package-lock.json ${createHash('sha256').update(lockfileText).digest('hex')}`,
    ...(await Promise.all(sourceDirs.map(treeDigestLines))).flat(),
  ]);

  const populate = async (context: string) => {
    await cp(join(repoRoot, 'package.json'), join(context, 'package.json'));
    for (const dir of sourceDirs) await cp(join(repoRoot, dir), join(context, dir), { recursive: true });
    for (const path of [...packages.required, ...packages.optional]) {
      const source = join(repoRoot, path);
      const present = await readdir(source).then(
        () => true,
        () => false,
      );
      if (!present) {
        if (packages.optional.includes(path)) continue; // another platform's optional package
        throw new EnvironmentError(`${path} is in package-lock.json but not installed`, 'run `npm ci` in the repository');
      }
      const ownNodeModules = join(source, 'node_modules');
      await mkdir(dirname(join(context, path)), { recursive: true });
      // A package's own node_modules holds nested packages: they have their own lockfile entries
      // (copied when they are production ones), and may hold dev-only ones that must stay out.
      await cp(source, join(context, path), {
        recursive: true,
        filter: (file) => file !== ownNodeModules && !isPrunable(file),
      });
    }
  };
  return { digest, populate };
}

/** One line per file under `dir` (relative path and content hash), sorted, for a stable digest. */
async function treeDigestLines(dir: string): Promise<string[]> {
  const root = join(repoRoot, dir);
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  return Promise.all(files.map(async (file) => `${relative(repoRoot, file).split(sep).join('/')} ${await fileSha256(file)}`));
}

function digestOf(lines: string[]): string {
  const hash = createHash('sha256');
  for (const line of lines) hash.update(`${line}\n`);
  return hash.digest('hex');
}

async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'tokenproof-image-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
