// RFC 7662 introspection of pool tokens at the issuer: `active` true for the valid ones only.
import { clusterSetup } from './lib/cluster.ts';
import { config } from './lib/config.ts';
import { introspect, type SetupData, useSetupData } from './lib/operations.ts';

export const options = config.options;
export { handleSummary } from './lib/summary.ts';

/** Cluster runs mint the pool here (lib/cluster.ts); local runs skip setup (the harness minted it). */
export function setup(): SetupData | undefined {
  return clusterSetup();
}

export default function (data: SetupData | undefined): void {
  useSetupData(data);
  introspect();
}
