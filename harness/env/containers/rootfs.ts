/**
 * Minimal root filesystems for `docker import`, assembled from binaries already on this
 * machine: the executables, the shared libraries `ldd` says they load, and the few files a
 * process expects to find (/etc/passwd with an unprivileged user, /tmp, CA certificates).
 * This is how the containers environment gets base images where no registry is reachable.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EnvironmentError } from '../../lib/errors.ts';
import { runCommand, tail } from '../../tools/command.ts';

/** The unprivileged user every tokenproof image runs as (no shell, home in /tmp). */
export const imageUser = { name: 'tokenproof', uid: 10001, gid: 10001 } as const;

/** Where Debian keeps the CA bundle; copied when present (Node has its own store, the Go tools do not). */
const caBundle = '/etc/ssl/certs/ca-certificates.crt';

export interface RootfsFile {
  /** Absolute path on this machine. */
  source: string;
  /** Absolute path inside the image. */
  target: string;
  mode: number;
}

export interface RootfsPlan {
  files: RootfsFile[];
  /** Files written from text rather than copied. */
  generated: { target: string; content: string; mode: number }[];
  directories: { target: string; mode: number }[];
}

/**
 * The shared objects in `ldd` output, loader included, as absolute paths. linux-vdso has no
 * file; a statically linked binary has none. A library ldd cannot find is an error: the
 * image would not start.
 */
export function parseLddOutput(output: string, binary: string): string[] {
  if (/not a dynamic executable|statically linked/.test(output)) return [];
  const libraries: string[] = [];
  for (const line of output.split('\n')) {
    const text = line.trim();
    if (text === '') continue;
    const missing = /^(\S+) => not found/.exec(text);
    if (missing) {
      throw new EnvironmentError(
        `${binary} needs ${missing[1]}, which ldd cannot find`,
        `install the package that provides ${missing[1]}`,
      );
    }
    const path = /=> (\/\S+) \(0x[0-9a-f]+\)$/.exec(text)?.[1] ?? /^(\/\S+) \(0x[0-9a-f]+\)$/.exec(text)?.[1];
    if (path !== undefined && !libraries.includes(path)) libraries.push(path);
  }
  return libraries;
}

export async function sharedLibraries(binary: string): Promise<string[]> {
  const result = await runCommand('ldd', [binary], { timeoutMs: 30_000 });
  const output = `${result.stdout}${result.stderr}`;
  // ldd exits 1 for a static binary, with "not a dynamic executable".
  if (!result.ok && !/not a dynamic executable/.test(output)) {
    throw new EnvironmentError(
      `ldd ${binary} failed:\n${tail(output)}`,
      'install libc-bin (it provides ldd) and check the binary runs on this machine',
    );
  }
  return parseLddOutput(output, binary);
}

export interface RootfsContents {
  /** Binaries copied into the image (source on this machine, target in the image). */
  executables?: { source: string; target: string }[];
  /** Binaries whose libraries the image needs but which are added later (by a Dockerfile COPY). */
  librariesOf?: string[];
}

/**
 * Plans a rootfs holding the executables and every library they (and `librariesOf`) load, at
 * the path the ELF interpreter and the loader ask for.
 */
export async function planRootfs(contents: RootfsContents): Promise<RootfsPlan> {
  const executables = contents.executables ?? [];
  const files: RootfsFile[] = executables.map((executable) => ({ ...executable, mode: 0o755 }));
  for (const binary of [...executables.map((executable) => executable.source), ...(contents.librariesOf ?? [])]) {
    for (const library of await sharedLibraries(binary)) {
      if (!files.some((file) => file.target === library)) files.push({ source: library, target: library, mode: 0o755 });
    }
  }
  if (await exists(caBundle)) files.push({ source: caBundle, target: caBundle, mode: 0o644 });
  const { name, uid, gid } = imageUser;
  return {
    files,
    generated: [
      {
        target: '/etc/passwd',
        content: `root:x:0:0:root:/root:/sbin/nologin\n${name}:x:${uid}:${gid}:${name}:/tmp:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n`,
        mode: 0o644,
      },
      { target: '/etc/group', content: `root:x:0:\n${name}:x:${gid}:\nnogroup:x:65534:\n`, mode: 0o644 },
      // glibc's resolver reads this; "files dns" is what a container's /etc/hosts + resolv.conf need.
      { target: '/etc/nsswitch.conf', content: 'passwd: files\ngroup: files\nhosts: files dns\n', mode: 0o644 },
    ],
    directories: [
      { target: '/tmp', mode: 0o1777 },
      { target: '/root', mode: 0o700 },
    ],
  };
}

/**
 * A digest of everything that goes into the rootfs (paths, modes, contents), computed
 * without assembling it, so an unchanged base image is recognised before any work is done.
 */
export async function rootfsDigest(plan: RootfsPlan): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [...plan.files].sort((a, b) => a.target.localeCompare(b.target))) {
    hash.update(`file ${file.target} ${file.mode.toString(8)} ${await fileSha256(file.source)}\n`);
  }
  for (const file of plan.generated) hash.update(`generated ${file.target} ${file.mode.toString(8)} ${file.content}\n`);
  for (const directory of plan.directories) hash.update(`dir ${directory.target} ${directory.mode.toString(8)}\n`);
  return hash.digest('hex');
}

/** Assembles the plan under `stagingDir` and packs it into `tarball`, every entry owned by root. */
export async function writeRootfsTarball(plan: RootfsPlan, stagingDir: string, tarball: string): Promise<void> {
  for (const directory of plan.directories) {
    await mkdir(join(stagingDir, directory.target), { recursive: true });
    await chmod(join(stagingDir, directory.target), directory.mode);
  }
  for (const file of plan.files) {
    const target = join(stagingDir, file.target);
    await mkdir(dirname(target), { recursive: true });
    // copyFile follows symlinks: the image gets the library itself under the name the loader asks for.
    await copyFile(file.source, target);
    await chmod(target, file.mode);
  }
  for (const file of plan.generated) {
    const target = join(stagingDir, file.target);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content, { mode: file.mode });
    await chmod(target, file.mode);
  }
  const result = await runCommand(
    'tar',
    ['--create', '--file', tarball, '--numeric-owner', '--owner=0', '--group=0', '--directory', stagingDir, '.'],
    { timeoutMs: 5 * 60_000 },
  );
  if (!result.ok) {
    throw new EnvironmentError(`tar could not pack the base image rootfs:\n${tail(result.stderr)}`, 'install GNU tar');
  }
}

export function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
