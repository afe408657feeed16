/**
 * `tokenproof chaos --emit chaos-mesh`: the game day's timeline as valid Chaos Mesh YAML (a
 * Workflow of Serial steps: Suspend, NetworkChaos, TimeChaos) next to the k6-operator ConfigMap
 * and TestRun of its load (the load emitter's, against a target profile whose issuer answers
 * discovery), with the phases' durations and the faults' parameters carried over.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { chaos } from '../../harness/cli/chaos.ts';
import { chaosMeshWorkflow } from '../../harness/faults/chaos-mesh.ts';
import { loadGameday } from '../../harness/faults/gameday.ts';
import { UsageError } from '../../harness/lib/errors.ts';
import { repoRoot } from '../../harness/tools/paths.ts';
import { audience, startTestStack, type TestStack } from '../support/resource-server.ts';

interface Template {
  name: string;
  templateType: string;
  deadline: string;
  children?: string[];
  networkChaos?: Record<string, unknown>;
  timeChaos?: { timeOffset: string };
  annotations?: Record<string, string>;
}
interface Workflow {
  apiVersion: string;
  kind: string;
  spec: { entry: string; templates: Template[] };
}
interface TestRun {
  apiVersion: string;
  kind: string;
  spec: {
    parallelism: number;
    script: { configMap: { name: string; file: string } };
    arguments: string;
    runner: { env: { name: string; value?: string }[] };
  };
}

let stack: TestStack;
let profileFile: string;

beforeAll(async () => {
  stack = await startTestStack();
  profileFile = join(mkdtempSync(join(tmpdir(), 'tokenproof-chaos-mesh-profile-')), 'cluster.yaml');
  process.env['CHAOS_MESH_TEST_SECRET'] = stack.issuer.secrets.primary;
  writeFileSync(
    profileFile,
    `name: cluster target
issuer:
  url: ${stack.issuer.url}
  clients:
    primary: { id: primary, secret: "\${CHAOS_MESH_TEST_SECRET}", scopes: [read] }
resourceServer: { url: ${stack.rs.protectedUrl}, audience: ${audience}, scope: read, trusts: issuer }
`,
  );
});

afterAll(async () => {
  await stack?.close();
});

const gameday = (name: string) => join(repoRoot, 'scenarios', 'gamedays', `${name}.yaml`);

async function emit(name: string): Promise<{ workflow: Workflow; testRun: TestRun }> {
  const out = mkdtempSync(join(tmpdir(), 'tokenproof-chaos-mesh-'));
  const printed: string[] = [];
  const code = await chaos(
    { gameday: gameday(name), target: profileFile, emit: 'chaos-mesh', out, command: 'tokenproof chaos', version: 'test' },
    (line) => printed.push(line),
  );
  expect(code).toBe(0);
  const read = (file: string) => {
    const text = readFileSync(join(out, 'chaos-mesh', name, file), 'utf8');
    expect(text).not.toContain(stack.issuer.secrets.primary);
    const documents = parseAllDocuments(text);
    for (const document of documents) expect(document.errors).toEqual([]);
    return documents.map((document) => document.toJS() as { kind: string });
  };
  expect(printed.join('\n')).toMatch(/wrote .*k6-testrun\.yaml[\s\S]*wrote .*workflow\.yaml/);
  const workflows = read('workflow.yaml');
  expect(workflows.map((document) => document.kind)).toEqual(['Workflow']);
  const load = read('k6-testrun.yaml');
  expect(load.map((document) => document.kind)).toEqual(['ConfigMap', 'TestRun']);
  return { workflow: workflows[0] as unknown as Workflow, testRun: load[1] as unknown as TestRun };
}

describe('Chaos Mesh manifests', () => {
  it('idp-outage: a Workflow of Suspend, NetworkChaos partition (RS → issuer) and Suspend, plus the TestRun', async () => {
    const { workflow, testRun } = await emit('idp-outage');
    expect(workflow).toMatchObject({ apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'Workflow', spec: { entry: 'gameday' } });
    const templates = workflow.spec.templates;
    expect(templates[0]).toMatchObject({
      name: 'gameday',
      templateType: 'Serial',
      children: ['phase-baseline', 'phase-outage', 'phase-recovery'],
    });
    expect(templates.slice(1).map((t) => [t.templateType, t.deadline])).toEqual([
      ['Suspend', '3s'],
      ['NetworkChaos', '5s'],
      ['Suspend', '4s'],
    ]);
    expect(templates[2]?.networkChaos).toMatchObject({
      action: 'partition',
      mode: 'all',
      direction: 'to',
      selector: { labelSelectors: { 'app.kubernetes.io/name': 'resource-server' } },
      target: { mode: 'all', selector: { labelSelectors: { 'app.kubernetes.io/name': 'issuer' } } },
    });
    expect(testRun).toMatchObject({ apiVersion: 'k6.io/v1alpha1', kind: 'TestRun', spec: { parallelism: 1 } });
    expect(testRun.spec.script.configMap.name).toBe('tokenproof-idp-outage-load');
    expect(testRun.spec.arguments).toContain('experimental-prometheus-rw');
    expect(testRun.spec.runner.env).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'K6_PROMETHEUS_RW_SERVER_URL' })]),
    );
  });

  it('needs a target profile: the cluster is not the embedded stack', async () => {
    await expect(
      chaos(
        { gameday: gameday('idp-outage'), emit: 'chaos-mesh', command: 'tokenproof chaos', version: 'test' },
        () => undefined,
      ),
    ).rejects.toThrow(UsageError);
  });

  it('latency becomes a NetworkChaos delay, clock skew a TimeChaos, truncation an annotated Suspend', async () => {
    const latency = (await emit('introspection-latency')).workflow.spec.templates;
    expect(latency.find((t) => t.name === 'phase-slow-introspection')).toMatchObject({
      templateType: 'NetworkChaos',
      networkChaos: { action: 'delay', delay: { latency: '500ms', jitter: '50ms' } },
    });
    const skew = (await emit('clock-skew')).workflow.spec.templates;
    expect(skew.filter((t) => t.templateType === 'TimeChaos').map((t) => t.timeChaos?.timeOffset)).toEqual(['120s', '-120s']);
    const truncated = (await emit('truncated-jwks')).workflow.spec.templates;
    expect(truncated.find((t) => t.name === 'phase-truncated')).toMatchObject({
      templateType: 'Suspend',
      annotations: { 'tokenproof.dev/unsupported': expect.stringContaining('truncate') },
    });
  });
  it('a fault on the token link acts from the load runner pods, not the RS pods', () => {
    const workflow = chaosMeshWorkflow(loadGameday(gameday('issuance-outage'))) as unknown as Workflow;
    const outage = workflow.spec.templates.find((template) => template.name === 'phase-outage');
    expect(outage?.networkChaos).toMatchObject({
      action: 'partition',
      selector: { labelSelectors: { app: 'k6', runner: 'true' } },
      target: { selector: { labelSelectors: { 'app.kubernetes.io/name': 'issuer' } } },
    });
  });
});
