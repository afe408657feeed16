// A weighted mix that looks like production: mostly validations, some issuance, refreshes and
// revocations. Each operation is its own k6 scenario (the harness splits the rate by weight), so
// every operation keeps its own arrival rate and tags.
import exec from 'k6/execution';
import { clusterSetup } from './lib/cluster.ts';
import { config } from './lib/config.ts';
import { introspect, issue, refresh, revoke, type SetupData, useSetupData, validate } from './lib/operations.ts';

export const options = config.options;
export { handleSummary } from './lib/summary.ts';

/** Cluster runs mint the pool here (lib/cluster.ts); local runs skip setup (the harness minted it). */
export function setup(): SetupData | undefined {
  return clusterSetup();
}

const operations: Record<string, () => void> = {
  issuance: () => issue(),
  validation: () => validate(),
  introspection: () => introspect(),
  refresh: () => refresh(),
  revocation: () => revoke(),
};

export default function (data: SetupData | undefined): void {
  useSetupData(data);
  const operation = operations[exec.scenario.name];
  if (!operation) throw new Error(`mixed has no operation ${exec.scenario.name}`);
  operation();
}
