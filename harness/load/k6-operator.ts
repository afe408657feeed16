/**
 * Beyond one machine: the same scenario as a k6-operator `TestRun` (k6.io/v1alpha1) and a
 * ConfigMap holding the scenario bundled into one script plus its configuration. The manifests
 * carry no secret: client secrets come from a Kubernetes Secret the user creates (named in the
 * TestRun's runner env), and each runner mints its token pool in setup() (scenarios/lib/cluster.ts).
 * k6-operator splits the arrival rate over the runners (execution segments); each runner judges
 * the thresholds on its own share, so results are aggregated through Prometheus remote write.
 */
import { build } from 'esbuild';
import { stringify } from 'yaml';
import type { Profile } from '../profile/schema.ts';
import { k6Scenarios, type Operation, type Scenario, splitRate } from './scenarios.ts';
import { k6Thresholds, slosFor } from './slo.ts';
import type { LoadTarget } from './target-endpoints.ts';
import { issuanceParams } from './token-pool.ts';

export interface OperatorRequest {
  scenario: Scenario;
  profile: Profile;
  target: LoadTarget;
  operations: Operation[];
  rate: number;
  durationMs: number;
  parallelism: number;
  /** Kubernetes object names start with this (default tokenproof-<scenario>). */
  name?: string;
  /** The Secret holding one key per client (primary, secondary, …): its client secret. */
  clientSecretName?: string;
  prometheusRemoteWrite?: string;
  poolSize?: number;
}

export const scriptFile = 'scenario.js';
export const configFile = 'tokenproof-config.json';
/** Where k6-operator mounts the script ConfigMap in each runner. */
const mountDir = '/test';

/** One ES module for k6: the scenario and scenarios/lib, with the k6 modules left as imports. */
export async function bundleScenario(scenario: Scenario): Promise<string> {
  const result = await build({
    entryPoints: [scenario.script],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2020',
    external: ['k6', 'k6/*'],
    write: false,
    legalComments: 'none',
  });
  const output = result.outputFiles[0]?.text;
  if (!output) throw new Error(`esbuild produced nothing for ${scenario.script}`);
  return output;
}

const secretEnvName = (client: string) => `TOKENPROOF_CLIENT_SECRET_${client.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`;

/** The scenario config (scenarios/lib/config.ts) for cluster runs: endpoints, executors, thresholds; no secret. */
export function clusterConfig(request: OperatorRequest) {
  const rates = splitRate(request.scenario, request.rate, new Set(request.operations));
  const client = (entry: LoadTarget['clients'][number]) => ({
    id: entry.id,
    auth: entry.auth,
    secretEnv: secretEnvName(entry.name),
  });
  const { target } = request;
  return {
    scenario: request.scenario.name,
    options: {
      scenarios: k6Scenarios(rates, request.durationMs),
      thresholds: k6Thresholds(slosFor(request.profile.slo, request.operations)),
      summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
    },
    // handleSummary writes inside the runner; the numbers that matter go out by remote write.
    summaryFile: '/tmp/tokenproof-summary.json',
    ...(target.resourceServerUrl && { resourceServerUrl: target.resourceServerUrl }),
    ...(target.tokenEndpoint && { tokenEndpoint: target.tokenEndpoint }),
    ...(target.introspectionEndpoint && { introspectionEndpoint: target.introspectionEndpoint }),
    ...(target.revocationEndpoint && { revocationEndpoint: target.revocationEndpoint }),
    clients: target.clients.map(client),
    ...(target.introspectionClient && { introspectionClient: client(target.introspectionClient) }),
    requestTimeout: `${request.profile.timeouts.request}ms`,
    tokenParams: issuanceParams(request.profile),
    cluster: {
      poolSize: request.poolSize ?? 200,
      forgedShare: 0.05,
      revokedShare: request.profile.resourceServer?.trusts === 'issuer' ? 0.05 : 0,
      revocationWaitSeconds: Math.ceil((request.profile.slo.revocationPropagation ?? 10_000) / 1000),
    },
  };
}

export async function k6OperatorManifests(
  request: OperatorRequest,
): Promise<{ yaml: string; documents: Record<string, unknown>[] }> {
  const name = request.name ?? `tokenproof-${request.scenario.name}`;
  const secretName = request.clientSecretName ?? 'tokenproof-clients';
  const config = clusterConfig(request);
  const script = await bundleScenario(request.scenario);
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels: { 'app.kubernetes.io/name': 'tokenproof', 'tokenproof/scenario': request.scenario.name } },
    data: { [scriptFile]: script, [configFile]: JSON.stringify(config, null, 2) },
  };
  const args = ['--tag', `testid=${name}`];
  const env: Record<string, unknown>[] = [
    { name: 'TOKENPROOF_LOAD_CONFIG', value: `${mountDir}/${configFile}` },
    ...request.target.clients.map((client) => ({
      name: secretEnvName(client.name),
      valueFrom: { secretKeyRef: { name: secretName, key: client.name } },
    })),
  ];
  if (
    request.target.introspectionClient &&
    !request.target.clients.some((c) => c.name === request.target.introspectionClient?.name)
  )
    env.push({
      name: secretEnvName(request.target.introspectionClient.name),
      valueFrom: { secretKeyRef: { name: secretName, key: request.target.introspectionClient.name } },
    });
  if (request.prometheusRemoteWrite) {
    args.push('--out', 'experimental-prometheus-rw');
    env.push(
      { name: 'K6_PROMETHEUS_RW_SERVER_URL', value: request.prometheusRemoteWrite },
      // Native histograms merge across runners: histogram_quantile over their sum is the fleet's p95.
      { name: 'K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM', value: 'true' },
    );
  }
  const testRun = {
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: { name, labels: { 'app.kubernetes.io/name': 'tokenproof', 'tokenproof/scenario': request.scenario.name } },
    spec: {
      parallelism: request.parallelism,
      script: { configMap: { name, file: scriptFile } },
      arguments: args.join(' '),
      runner: { env },
    },
  };
  const documents = [configMap, testRun];
  const header = [
    `# tokenproof load --scenario ${request.scenario.name} --rate ${request.rate} on k6-operator, ${request.parallelism} runners`,
    `# Create the client secrets first: kubectl create secret generic ${secretName} ${request.target.clients.map((c) => `--from-literal=${c.name}=…`).join(' ')}`,
    '# Thresholds hold per runner (each sees 1/parallelism of the rate); aggregate the runners through',
    '# Prometheus remote write (--prometheus-rw URL) and judge the SLOs on the sums there.',
  ].join('\n');
  return { yaml: `${header}\n${documents.map((document) => stringify(document, { lineWidth: 0 })).join('---\n')}`, documents };
}
