/** The RS configuration: defaults, YAML errors that name file, line and field, and the serve command's flags. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../harness/cli/serve-resource-server.ts';
import { ConfigError, UsageError } from '../../../harness/lib/errors.ts';
import { tokenRequest } from '../../../harness/oauth/client.ts';
import { loadResourceServerConfig, parseResourceServerConfig } from '../../../harness/reference/resource-server/config.ts';
import { startTestIssuer } from '../../support/issuer.ts';
import { callProtected } from '../../support/resource-server.ts';

function yamlFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tokenproof-rs-')), 'rs.yaml');
  writeFileSync(file, text);
  return file;
}

describe('resource server configuration', () => {
  it('fills in defaults and reads durations', () => {
    const config = parseResourceServerConfig({ issuer: 'http://127.0.0.1:9400', audience: 'api://x', leeway: '45s' });
    expect(config.audience).toEqual(['api://x']);
    expect(config.leeway).toBe(45_000);
    expect(config.mode).toBe('jwt');
    expect(config.jwks.cooldown).toBe(5_000);
    expect(config.failurePolicy.introspection).toBe('unavailable');
    expect(config.algorithms).not.toContain('none');
  });

  it('requires introspection credentials in introspection mode', () => {
    expect(() => parseResourceServerConfig({ issuer: 'http://127.0.0.1:9400', audience: 'a', mode: 'introspection' })).toThrow(
      /introspection/,
    );
  });

  it('names the file, line and field of a mistake in YAML', () => {
    const file = yamlFile('issuer: http://127.0.0.1:9400\naudience: api://x\njwks:\n  cooldwn: 5s\n');
    const error = (() => {
      try {
        loadResourceServerConfig(file);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`${file}:4:3`);
    expect((error as ConfigError).field).toBe('jwks.cooldwn');
  });

  it('lets flags override the file and keeps durations in milliseconds through loading', () => {
    const file = yamlFile('issuer: http://127.0.0.1:9400\naudience: api://x\nleeway: 10s\n');
    // resolveConfig validates and returns the input; the one parse happens when the server starts.
    const config = parseResourceServerConfig(
      resolveConfig({ config: file, audience: 'api://y', scope: 'read,write', port: 9555 }),
    );
    expect(config.audience).toEqual(['api://y']);
    expect(config.requiredScope).toEqual(['read', 'write']);
    expect(config.port).toBe(9555);
    expect(config.leeway).toBe(10_000);
  });

  it('asks for --issuer and --audience without a file, and names a bad flag', () => {
    expect(() => resolveConfig({ issuer: 'http://127.0.0.1:9400' })).toThrow(UsageError);
    expect(() => resolveConfig({ issuer: 'not a url', audience: 'a' })).toThrow(/--issuer/);
  });
});

describe('tokenproof serve resource-server (serveResourceServer)', () => {
  it('serves in front of a running issuer until SIGTERM', async () => {
    const issuer = await startTestIssuer();
    const module = new URL('../../../harness/cli/serve-resource-server.ts', import.meta.url).pathname;
    const script = `const m = await import(${JSON.stringify(module)});
await m.serveResourceServer({ issuer: ${JSON.stringify(issuer.url)}, audience: 'api://default', scope: 'read' }, (line) => console.log(line));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const output: string[] = [];
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output.push(chunk.toString());
          const ready = /^ready (\S+)$/m.exec(output.join(''));
          if (ready) resolve(ready[1]!);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${output.join('')}`)));
      });
      expect(output.join('')).toContain('protected http://127.0.0.1:');
      const answer = await tokenRequest(
        issuer.endpoints.token,
        { grant_type: 'client_credentials', scope: 'read' },
        issuer.primary,
      );
      const token = answer.body.access_token!;
      expect((await callProtected(url, token)).status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await issuer.close();
    }
  });
});
