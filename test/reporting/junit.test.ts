import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { junitReporter, toJunitXml } from '../../harness/reporting/junit.ts';
import { findOnPath, repoRoot } from '../../harness/tools/paths.ts';
import { fixtureRunResult, fixtureWithExpectations } from '../fixtures/run-result.ts';

const execFileAsync = promisify(execFile);
const schema = join(repoRoot, 'test/fixtures/junit.xsd');

let dir: string;
let xmllint: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokenproof-junit-'));
  // Validation is the point of this file: a missing xmllint fails it (in CI and elsewhere), never skips it.
  const found = await findOnPath('xmllint');
  if (!found) throw new Error('xmllint is missing: install it with `apt-get install libxml2-utils` (or run `tokenproof setup`)');
  xmllint = found;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function validate(xml: string, name: string): Promise<{ ok: boolean; output: string }> {
  const file = join(dir, name);
  await writeFile(file, xml);
  try {
    const { stderr } = await execFileAsync(xmllint, ['--noout', '--nonet', '--schema', schema, file]);
    return { ok: true, output: stderr };
  } catch (error) {
    return { ok: false, output: String((error as { stderr?: string }).stderr ?? error) };
  }
}

const fixed = { hostname: 'ci-runner-7' };

describe('junit.xml', () => {
  it('validates against the JUnit schema with xmllint', async () => {
    const [file] = await junitReporter(fixed).onEnd(fixtureRunResult(), dir);
    expect(file).toBe(join(dir, 'junit.xml'));
    const { stderr } = await execFileAsync(xmllint, ['--noout', '--nonet', '--schema', schema, file!]);
    expect(stderr).toContain('validates');
  });

  it('validates for a run with no checks, and with a selected suite that had none', async () => {
    const result = { ...fixtureRunResult(), checks: [], summary: { pass: 0, fail: 0, warn: 0, skip: 0, error: 0 } };
    const xml = toJunitXml(result, fixed);
    expect(xml.match(/<testsuite /g)).toHaveLength(5);
    expect(xml).toContain('tests="0" failures="0" errors="0" skipped="0" time="0.000"');
    expect(await validate(xml, 'empty.xml')).toMatchObject({ ok: true });
  });

  it('is rejected by the schema when it breaks the dialect (the validation can fail)', async () => {
    const xml = toJunitXml(fixtureRunResult(), fixed);
    const broken = xml.replace('<failure type="MUST"', '<failure');
    expect(broken).not.toBe(xml);
    const result = await validate(broken, 'broken.xml');
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/attribute 'type' is required/);
  });

  it('has one testsuite per suite and one testcase per check', () => {
    const xml = toJunitXml(fixtureRunResult(), fixed);
    const suites = [
      ...xml.matchAll(/<testsuite name="([^"]+)"[^>]* tests="(\d+)" failures="(\d+)" errors="(\d+)" skipped="(\d+)"/g),
    ];
    expect(suites.map((match) => match.slice(1).join(' '))).toEqual([
      'discovery 4 0 0 0',
      'token-endpoint 4 0 0 1',
      'refresh 4 1 0 2',
      'rs-claims 6 1 1 0',
      'revocation 1 0 0 0',
    ]);
    expect(xml.match(/<testcase /g)).toHaveLength(19);
    expect(xml).toContain(
      '<testcase classname="refresh" name="refresh.rotates: A refresh grant returns a new access token and a new refresh token" time="0.287"/>',
    );
    expect(xml).toContain('timestamp="2026-01-01T09:00:00" hostname="ci-runner-7"');
  });

  it('makes MUST failures <failure> and errors <error>, with the reason and the evidence summary', () => {
    const xml = toJunitXml(fixtureRunResult(), fixed);
    const failure =
      /<testcase classname="refresh" name="refresh\.reuse-revokes-family[^>]*><failure type="MUST" message="([^"]*)">([^<]*)<\/failure>/.exec(
        xml,
      );
    expect(failure?.[1]).toBe('the active refresh token still works after its predecessor was replayed');
    expect(failure?.[2]).toContain('MUST RFC9700-4.14.2');
    expect(failure?.[2]).toContain(
      'POST http://127.0.0.1:9400/token → 200 (19 ms) — RT2 still accepted: the family was not revoked',
    );
    expect(failure?.[2]).toContain('note: profile rfc9700: reuse detection must revoke the whole family');

    expect(xml).toMatch(
      /name="rs-claims\.removed-key[^>]*><error type="error" message="the RS stopped answering \(ECONNRESET\)[^"]*">[^<]*GET http:\/\/127\.0\.0\.1:9500\/protected → no response: ECONNRESET/,
    );
  });

  it('keeps SHOULD warnings out of failures: properties and system-out instead', () => {
    const xml = toJunitXml(fixtureRunResult(), fixed);
    expect(xml).toMatch(/<testcase classname="rs-claims" name="rs-claims\.leeway: [^"]*" time="0\.930"\/>/);
    expect(xml).toContain(
      '<property name="warning.rs-claims.leeway" value="SHOULD RFC7519-4.1.4: the RS accepts tokens up to 120 s after exp (more than 60 s)"/>',
    );
    expect(xml).toMatch(
      /<system-out>[^<]*WARNING rs-claims\.leeway: SHOULD RFC7519-4\.1\.4\n {2}the RS accepts tokens up to 120 s/,
    );
    expect(xml).toContain('<skipped message="the target does not support token_exchange (not in grant_types_supported)"/>');
  });

  it('escapes markup, strips control characters and defuses ]]> from target answers', async () => {
    const xml = toJunitXml(fixtureRunResult(), fixed);
    expect(xml).toContain(
      'message="kid &quot;../../dev/null&quot; made the RS answer 500 &lt;h1&gt;Internal Error&lt;/h1&gt; | ]]&gt; instead of 401"',
    );
    expect(xml).not.toContain(']]>');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    const result = fixtureRunResult();
    result.checks[0]!.title = 'a title with <b>"quotes"</b> & \u0001 ]]> ]]]]><![CDATA[';
    result.checks[0]!.outcome = 'fail';
    result.checks[0]!.reason = 'reason\twith\nlines & <tags> ]]>';
    expect((await validate(toJunitXml(result, fixed), 'hostile.xml')).ok).toBe(true);
  });

  it('makes an expected failure a passing testcase that says "expected: <note>", and lists fixed entries', async () => {
    const xml = toJunitXml(fixtureWithExpectations(), fixed);
    expect((await validate(xml, 'expected.xml')).ok).toBe(true);
    expect(xml).toMatch(/<testcase classname="refresh" name="refresh\.reuse-revokes-family: [^"]*" time="0\.342"\/>/);
    expect(xml).toMatch(/<testsuite name="refresh"[^>]* tests="4" failures="0" errors="0" skipped="2"/);
    expect(xml).toContain(
      '<property name="expected.refresh.reuse-revokes-family" value="expected fail: IDP-231: family revocation ships in 5.0 (MUST: the active refresh token still works after its predecessor was replayed)"/>',
    );
    expect(xml).toMatch(
      /<system-out>EXPECTED refresh\.reuse-revokes-family: expected fail: IDP-231: family revocation ships in 5\.0\n {2}MUST RFC9700-4\.14\.2/,
    );
    // An expected warning stays a warning property too; its note is escaped like any value.
    expect(xml).toContain(
      '<property name="expected.rs-claims.leeway" value="expected warn: IDP-88 &lt;leeway&gt; is 120 s by design',
    );
    // Unlisted findings count as usual.
    expect(xml).toMatch(/<testsuite name="rs-claims"[^>]* failures="1" errors="1"/);
    expect(xml).toContain(
      '<property name="fixed.discovery.pkce-s256" value="discovery.pkce-s256: expected warn no longer happens, now pass — fixed — remove it from the list"/>',
    );
    expect(xml).toContain(
      'FIXED discovery.pkce-s256: expected warn no longer happens, now pass — fixed — remove it from the list (note: IDP-12)',
    );
    expect(xml).toMatch(/<testsuite name="discovery"[^>]* failures="0"/);
  });

  it('fails the check of a fixed entry under --strict-expect', async () => {
    const xml = toJunitXml(fixtureWithExpectations({ strict: true }), fixed);
    expect((await validate(xml, 'strict.xml')).ok).toBe(true);
    expect(xml).toMatch(/<testsuite name="discovery"[^>]* failures="1"/);
    expect(xml).toMatch(
      /name="discovery\.pkce-s256: [^"]*" time="0\.001"><failure type="fixed" message="discovery\.pkce-s256: expected warn no longer happens, now pass — fixed — remove it from the list">/,
    );
  });
});
