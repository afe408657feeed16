/**
 * --emit k6-operator: the manifests' kinds and fields, no secret in them, and the bundled script
 * really runs under k6 the way a cluster runner starts it (config from the mounted file, client
 * secrets from the environment, the pool minted in setup()).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { configFile, k6OperatorManifests, scriptFile } from '../../harness/load/k6-operator.ts';
import { scenarios } from '../../harness/load/scenarios.ts';
import { availableOperations, describeLoadTarget, type LoadTarget } from '../../harness/load/target-endpoints.ts';
import { type Profile, profileSchema } from '../../harness/profile/schema.ts';
import { repoRoot, toolPath } from '../../harness/tools/paths.ts';
import { audience, startTestStack, type TestStack } from '../support/resource-server.ts';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    parallelism: number;
    script: { configMap: { name: string; file: string } };
    arguments: string;
    runner: { env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[] };
  };
}

describe('tokenproof load --emit k6-operator', () => {
  let stack: TestStack;
  let profile: Profile;
  let target: LoadTarget;

  beforeAll(async () => {
    stack = await startTestStack();
    profile = profileSchema.parse({
      name: 'cluster target',
      issuer: {
        url: stack.issuer.url,
        clients: { primary: { id: 'primary', secret: stack.issuer.secrets.primary, scopes: ['read'] } },
      },
      resourceServer: { url: stack.rs.protectedUrl, audience, scope: 'read', trusts: 'issuer' },
      slo: { validationP95: '2s' },
    });
    target = await describeLoadTarget(profile);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('writes a ConfigMap with the bundled script and a TestRun that runs it on N runners, without a secret', async () => {
    const { yaml } = await k6OperatorManifests({
      scenario: scenarios.validation,
      profile,
      target,
      operations: ['validation'],
      rate: 300,
      durationMs: 60_000,
      parallelism: 4,
      prometheusRemoteWrite: 'http://prometheus.monitoring:9090/api/v1/write',
    });
    expect(yaml).not.toContain(stack.issuer.secrets.primary);
    const documents = parseAllDocuments(yaml).map((document) => document.toJS() as Manifest);
    expect(documents.map((document) => [document.apiVersion, document.kind])).toEqual([
      ['v1', 'ConfigMap'],
      ['k6.io/v1alpha1', 'TestRun'],
    ]);
    const [configMap, testRun] = documents as [Manifest, Manifest];
    expect(testRun.spec?.parallelism).toBe(4);
    expect(testRun.spec?.script.configMap).toEqual({ name: configMap.metadata.name, file: scriptFile });
    expect(Object.keys(configMap.data ?? {}).sort()).toEqual([scriptFile, configFile].sort());
    expect(configMap.data?.[scriptFile]).toMatch(/from "k6\/http"/);
    expect(configMap.data?.[scriptFile]).not.toMatch(/from "\.\/lib/);
    expect(testRun.spec?.arguments).toBe(`--tag testid=${configMap.metadata.name} --out experimental-prometheus-rw`);
    expect(testRun.spec?.runner.env).toEqual(
      expect.arrayContaining([
        { name: 'TOKENPROOF_LOAD_CONFIG', value: `/test/${configFile}` },
        { name: 'TOKENPROOF_CLIENT_SECRET_PRIMARY', valueFrom: { secretKeyRef: { name: 'tokenproof-clients', key: 'primary' } } },
        { name: 'K6_PROMETHEUS_RW_SERVER_URL', value: 'http://prometheus.monitoring:9090/api/v1/write' },
      ]),
    );
    const config = JSON.parse(configMap.data?.[configFile] ?? '{}');
    // The rate is the total: k6-operator hands each runner its execution segment of it.
    expect(config.options.scenarios.validation).toMatchObject({ executor: 'constant-arrival-rate', rate: 300 });
    expect(config.options.thresholds).toEqual({
      tokenproof_wrongly_accepted: ['count==0'],
      'http_req_duration{op:validation}': ['p(95)<2000'],
    });
    expect(config.clients).toEqual([
      { id: 'primary', auth: 'client_secret_basic', secretEnv: 'TOKENPROOF_CLIENT_SECRET_PRIMARY' },
    ]);
  });

  it('is what `tokenproof load --emit k6-operator --parallelism N` writes, and it needs --target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenproof-emit-'));
    const profileFile = join(dir, 'cluster.yaml');
    writeFileSync(
      profileFile,
      [
        'name: cluster target',
        'issuer:',
        `  url: ${stack.issuer.url}`,
        '  clients:',
        '    primary: { id: primary, secret: "${TP_PRIMARY_SECRET}", scopes: [read] }',
        'resourceServer:',
        `  url: ${stack.rs.protectedUrl}`,
        `  audience: ${audience}`,
        '  trusts: issuer',
        '',
      ].join('\n'),
    );
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [join(repoRoot, 'harness', 'cli', 'main.ts'), ...args], {
          env: { ...process.env, TP_PRIMARY_SECRET: stack.issuer.secrets.primary },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const emitted = await cli([
      'load',
      '--target',
      profileFile,
      '--scenario',
      'validation',
      '--rate',
      '500',
      '--emit',
      'k6-operator',
      '--parallelism',
      '3',
      '--out',
      dir,
    ]);
    expect(emitted.stderr).toBe('');
    expect(emitted.code).toBe(0);
    const yaml = readFileSync(join(dir, 'k6-operator-validation.yaml'), 'utf8');
    expect(yaml).not.toContain(stack.issuer.secrets.primary);
    const testRun = parseAllDocuments(yaml).map((document) => document.toJS() as Manifest)[1];
    expect(testRun?.spec?.parallelism).toBe(3);
    const withoutTarget = await cli([
      'load',
      '--scenario',
      'validation',
      '--emit',
      'k6-operator',
      '--parallelism',
      '3',
      '--out',
      dir,
    ]);
    expect(withoutTarget.code).toBe(2);
    expect(withoutTarget.stderr).toMatch(/--emit k6-operator needs --target/);
  });

  it('runs the bundled script as a runner would: setup() mints, forges and revokes, and nothing is wrongly accepted', {
    timeout: 90_000,
  }, async () => {
    expect(availableOperations(target).has('validation')).toBe(true);
    const { documents } = await k6OperatorManifests({
      scenario: scenarios.validation,
      profile,
      target,
      operations: ['validation'],
      rate: 30,
      durationMs: 3000,
      parallelism: 1,
      poolSize: 40,
    });
    const data = (documents[0] as unknown as Manifest).data!;
    const dir = mkdtempSync(join(tmpdir(), 'tokenproof-operator-'));
    const summaryFile = join(dir, 'summary.json');
    const config = { ...JSON.parse(data[configFile]!), summaryFile };
    writeFileSync(join(dir, configFile), JSON.stringify(config));
    writeFileSync(join(dir, scriptFile), data[scriptFile]!);
    const code = await new Promise<number | null>((resolve) => {
      const args = ['run', '--quiet', '--no-usage-report', '--out', `csv=${join(dir, 'samples.csv')}`, join(dir, scriptFile)];
      const child = spawn(toolPath('k6'), args, {
        env: {
          ...process.env,
          TOKENPROOF_LOAD_CONFIG: join(dir, configFile),
          TOKENPROOF_CLIENT_SECRET_PRIMARY: stack.issuer.secrets.primary,
        },
        stdio: 'ignore',
      });
      child.on('close', resolve);
    });
    expect(code).toBe(0);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
    expect(summary.metrics['http_reqs{op:validation}'] ?? summary.metrics.http_reqs).toBeDefined();
    expect(summary.metrics.tokenproof_wrongly_accepted.values.count).toBe(0);
    expect(summary.metrics.tokenproof_available.values.rate).toBe(1);
    expect(summary.metrics.iterations.values.count).toBeGreaterThan(50);
    const samples = readFileSync(join(dir, 'samples.csv'), 'utf8').split('\n');
    const sent = (kind: string) =>
      samples.filter((line) => line.startsWith('http_reqs,') && line.includes(`kind=${kind}`)).length;
    expect(sent('forged')).toBeGreaterThan(0);
    expect(sent('revoked')).toBeGreaterThan(0);
  });
});
