/**
 * `tokenproof chaos --emit chaos-mesh`: the same game day for a Kubernetes cluster. The
 * timeline becomes a Chaos Mesh Workflow (a Serial of Suspend steps for baseline and recovery,
 * NetworkChaos for outage, hang, latency and bandwidth, TimeChaos for clock skew), next to the
 * k6-operator ConfigMap and TestRun of its load (harness/load/k6-operator.ts, the load phase's
 * emitter) with k6's Prometheus remote-write output on, so the results come back through
 * Prometheus (README "Game days on Kubernetes").
 *
 * What has no Chaos Mesh counterpart at the TCP level (truncate, slicer, reset-peer) becomes a
 * Suspend step annotated with why, so the phases keep their times and nothing is silently dropped.
 * NetworkChaos acts between pods, so the JWKS and introspection links of one issuer are one
 * fault here (toxiproxy can tell them apart; a pod network cannot). A fault on the `token` link
 * (the load clients → the issuer) acts from the k6-operator runner pods instead of the RS pods.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Gameday, GamedayPhase } from './gameday.ts';

export interface ChaosMeshOptions {
  outDir: string;
  /** The load's k6-operator manifests (YAML), from harness/load/k6-operator.ts. */
  loadManifests: string;
  namespace?: string;
  /** Pod labels of the resource server and the issuer in the cluster. */
  resourceServerLabels?: Record<string, string>;
  issuerLabels?: Record<string, string>;
  /** Pod labels of the load clients: the k6-operator runner pods by default. */
  loadLabels?: Record<string, string>;
}

type Manifest = Record<string, unknown>;

const seconds = (ms: number) => `${Math.max(1, Math.round(ms / 1000))}s`;
const stepName = (phase: GamedayPhase) => `phase-${phase.name}`.slice(0, 63);

function faultTemplate(
  phase: GamedayPhase,
  options: Required<Pick<ChaosMeshOptions, 'namespace' | 'resourceServerLabels' | 'issuerLabels' | 'loadLabels'>>,
): Manifest {
  const name = stepName(phase);
  const deadline = seconds(phase.for);
  const fault = phase.fault;
  // Only the token link: the clients are the load's runners; any RS link among them: the RS pods.
  const fromLoad = phase.links?.every((link) => link === 'token') === true;
  const rs = {
    namespaces: [options.namespace],
    labelSelectors: fromLoad ? options.loadLabels : options.resourceServerLabels,
  };
  const issuer = { namespaces: [options.namespace], labelSelectors: options.issuerLabels };
  const network = (action: string, extra: Manifest): Manifest => ({
    name,
    templateType: 'NetworkChaos',
    deadline,
    networkChaos: { action, mode: 'all', selector: rs, direction: 'to', target: { mode: 'all', selector: issuer }, ...extra },
  });
  if (!fault) return { name, templateType: 'Suspend', deadline };
  switch (fault.kind) {
    case 'idp-outage':
      return network('partition', {});
    case 'idp-hang':
      // Every packet lost: connections hang until the client's own timeout, as toxiproxy's timeout 0.
      return network('loss', { loss: { loss: '100', correlation: '0' } });
    case 'latency':
      return network('delay', { delay: { latency: `${fault.latency}ms`, jitter: `${fault.jitter ?? 0}ms`, correlation: '0' } });
    case 'bandwidth':
      return network('bandwidth', {
        bandwidth: { rate: `${fault.kilobytesPerSecond * 8}kbps`, limit: 20_971_520, buffer: 10_000 },
      });
    case 'clock-skew':
      return {
        name,
        templateType: 'TimeChaos',
        deadline,
        timeChaos: { mode: 'all', selector: issuer, timeOffset: `${fault.offset}s` },
      };
    case 'truncate':
    case 'slicer':
    case 'reset-peer':
      return {
        name,
        templateType: 'Suspend',
        deadline,
        annotations: {
          'tokenproof.dev/unsupported': `${fault.kind} has no Chaos Mesh counterpart at the TCP level: run this game day with toxiproxy (tokenproof chaos)`,
        },
      };
  }
}

export function chaosMeshWorkflow(gameday: Gameday, options: Omit<ChaosMeshOptions, 'outDir' | 'loadManifests'> = {}): Manifest {
  const namespace = options.namespace ?? 'tokenproof';
  const selectors = {
    namespace,
    resourceServerLabels: options.resourceServerLabels ?? { 'app.kubernetes.io/name': 'resource-server' },
    issuerLabels: options.issuerLabels ?? { 'app.kubernetes.io/name': 'issuer' },
    // What k6-operator labels its runner pods with.
    loadLabels: options.loadLabels ?? { app: 'k6', runner: 'true' },
  };
  const name = `tokenproof-${gameday.name}`.slice(0, 63);
  const steps: Manifest[] = [];
  let cursor = 0;
  for (const phase of gameday.phases) {
    // A gap between phases is a pause of its own, so every phase starts at its `at`.
    if (phase.at > cursor)
      steps.push({ name: `gap-${steps.length}`, templateType: 'Suspend', deadline: seconds(phase.at - cursor) });
    steps.push(faultTemplate(phase, selectors));
    cursor = phase.at + phase.for;
  }
  const workflow: Manifest = {
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'Workflow',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'tokenproof', 'tokenproof.dev/gameday': gameday.name } },
    spec: {
      entry: 'gameday',
      templates: [
        {
          name: 'gameday',
          templateType: 'Serial',
          deadline: seconds(cursor + 60_000),
          children: steps.map((step) => step['name']),
        },
        ...steps,
      ],
    },
  };
  return workflow;
}

/** Writes k6-testrun.yaml (the load's ConfigMap and TestRun, as the load emitter made them) and workflow.yaml. */
export function writeChaosMeshManifests(gameday: Gameday, options: ChaosMeshOptions): string[] {
  const dir = join(options.outDir, 'chaos-mesh', gameday.name);
  mkdirSync(dir, { recursive: true });
  const workflow = chaosMeshWorkflow(gameday, options);
  const workflowFile = join(dir, 'workflow.yaml');
  const testRunFile = join(dir, 'k6-testrun.yaml');
  writeFileSync(testRunFile, options.loadManifests);
  writeFileSync(
    workflowFile,
    `# tokenproof game day ${gameday.name}: apply k6-testrun.yaml first, then this\n${stringify(workflow)}`,
  );
  return [testRunFile, workflowFile];
}
