import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../harness/lib/errors.ts';
import { profileJsonSchema } from '../../harness/profile/json-schema.ts';
import { loadProfile } from '../../harness/profile/load.ts';
import { repoRoot } from '../../harness/tools/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'tokenproof-profile-'));
function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('target profiles', () => {
  it('ships example profiles that validate', () => {
    const env = {
      ACME_PRIMARY_SECRET: 'x'.repeat(20),
      TP_PRIMARY_SECRET: 'p',
      TP_SECONDARY_SECRET: 's',
      TP_ADMIN_TOKEN: 'a',
      TP_ALICE_PASSWORD: 'w',
    };
    expect(loadProfile(join(repoRoot, 'targets/template.yaml'), env).profile.issuer?.clients?.secondary?.auth).toBe(
      'private_key_jwt',
    );
    const reference = loadProfile(join(repoRoot, 'targets/reference.yaml'), env).profile;
    expect(reference.issuer?.launch?.readyTimeout).toBe(30_000);
    expect(reference.issuer?.clients?.primary.secret).toBe('p');
  });

  it('fills defaults and converts durations', () => {
    const { profile } = loadProfile(
      write('min.yaml', 'name: m\nissuer: { url: "http://127.0.0.1:1" }\nslo: { revocationPropagation: 2s }\n'),
    );
    expect(profile.issuer?.profile).toBe('rfc9700');
    expect(profile.slo.revocationPropagation).toBe(2000);
    expect(profile.timeouts).toEqual({ check: 30_000, request: 10_000 });
  });

  it('names file, line, column and field for an unknown field', () => {
    const file = write(
      'typo.yaml',
      'name: t\nissuer:\n  url: http://127.0.0.1:1\n  clients:\n    primary: { id: a, secert: x }\n',
    );
    const error = errorOf(() => loadProfile(file));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`${file}:5:23: field 'issuer.clients.primary.secert' is not a known field`);
  });

  it('names the field for a wrong type or value', () => {
    const badUrl = errorOf(() => loadProfile(write('url.yaml', 'name: t\nissuer:\n  url: not a url\n')));
    expect(badUrl.field).toBe('issuer.url');
    expect(badUrl.line).toBe(3);
    const badDuration = errorOf(() => loadProfile(write('dur.yaml', 'name: t\nslo:\n  issuanceP95: fast\n')));
    expect(badDuration.message).toMatch(/field 'slo.issuanceP95' 'fast' is not a duration/);
    const badEnum = errorOf(() => loadProfile(write('enum.yaml', 'name: t\nissuer:\n  url: http://a.test\n  profile: fapi3\n')));
    expect(badEnum.field).toBe('issuer.profile');
  });

  it('reports a missing required field at its parent', () => {
    const error = errorOf(() => loadProfile(write('missing.yaml', 'issuer:\n  url: http://a.test\n')));
    expect(error.field).toBe('name');
  });

  it('reports YAML syntax errors with their position', () => {
    const error = errorOf(() => loadProfile(write('syntax.yaml', 'name: t\nissuer: { url: http://a.test\n')));
    expect(error.message).toMatch(/syntax\.yaml:\d+:\d+: is not valid YAML/);
  });

  it('reports a missing file as a profile error', () => {
    const error = errorOf(() => loadProfile(join(dir, 'nope.yaml')));
    expect(error.message).toMatch(/nope\.yaml: cannot be read \(ENOENT\)/);
  });

  it('ships an up-to-date JSON Schema (npm run schema regenerates it)', () => {
    const shipped = JSON.parse(readFileSync(join(repoRoot, 'harness/profile/profile.schema.json'), 'utf8'));
    expect(shipped).toEqual(profileJsonSchema());
    expect(shipped.additionalProperties).toBe(false);
  });
});
