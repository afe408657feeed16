// Many clients refreshing at once with rotation: each VU keeps its own refresh-token chain.
import { clusterSetup } from './lib/cluster.ts';
import { config } from './lib/config.ts';
import { refresh, type SetupData, useSetupData } from './lib/operations.ts';

export const options = config.options;
export { handleSummary } from './lib/summary.ts';

/** Cluster runs mint the pool here (lib/cluster.ts); local runs skip setup (the harness minted it). */
export function setup(): SetupData | undefined {
  return clusterSetup();
}

export default function (data: SetupData | undefined): void {
  useSetupData(data);
  refresh();
}
