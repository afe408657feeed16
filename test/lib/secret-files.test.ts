/**
 * Folders and files holding whole tokens, secrets or keys (harness/lib/secret-files.ts): owner-only,
 * removed by their owner, and removed at process exit otherwise, also when a Ctrl-C handler ends
 * the process with process.exit(130) and skips every `finally`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeAtExit, secretTempDir } from '../../harness/lib/secret-files.ts';
import { repoRoot } from '../../harness/tools/paths.ts';

const scratch = mkdtempSync(join(tmpdir(), 'tokenproof-secret-files-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('secret files', () => {
  it('makes an owner-only folder that remove() deletes at once', () => {
    const dir = secretTempDir('tokenproof-secret-test-');
    expect(statSync(dir.path).mode & 0o777).toBe(0o700);
    writeFileSync(join(dir.path, 'tokens.json'), '[]');
    dir.remove();
    expect(existsSync(dir.path)).toBe(false);
  });

  it('removes what is left when the process exits, even through process.exit(130) in a finally-skipping path', () => {
    const module = join(repoRoot, 'harness', 'lib', 'secret-files.ts');
    const script = `
      import { writeFileSync } from 'node:fs';
      import { join } from 'node:path';
      const { removeAtExit, secretTempDir } = await import(${JSON.stringify(module)});
      const dir = secretTempDir('tokenproof-secret-test-');
      writeFileSync(join(dir.path, 'tokens.json'), '["a whole token"]');
      const file = join(process.env.SCRATCH, 'credentials.json');
      writeFileSync(file, '{}');
      removeAtExit(file);
      const kept = join(process.env.SCRATCH, 'kept.json');
      writeFileSync(kept, '{}');
      removeAtExit(kept).remove();
      writeFileSync(kept, '{}');
      process.stdout.write(dir.path);
      try {
        process.exit(130);
      } finally {
        writeFileSync(join(process.env.SCRATCH, 'finally-ran'), '');
      }
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, SCRATCH: scratch },
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(130);
    const dir = child.stdout;
    expect(dir).toContain('tokenproof-secret-test-');
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(join(scratch, 'credentials.json'))).toBe(false);
    expect(existsSync(join(scratch, 'finally-ran'))).toBe(false);
    // What was removed by hand and written again is no longer the module's to remove.
    expect(existsSync(join(scratch, 'kept.json'))).toBe(true);
  });

  it('removeAtExit on a path that is already gone is harmless', () => {
    const handle = removeAtExit(join(scratch, 'never-written'));
    expect(() => handle.remove()).not.toThrow();
  });
});
