// client_credentials at a constant arrival rate, one k6 scenario per client (and so per client
// auth method); the harness sizes the executors and sets the thresholds from the profile's slo.
import { clusterSetup } from './lib/cluster.ts';
import { config } from './lib/config.ts';
import { issue, type SetupData, useSetupData } from './lib/operations.ts';

export const options = config.options;
export { handleSummary } from './lib/summary.ts';

/** Cluster runs mint the pool here (lib/cluster.ts); local runs skip setup (the harness minted it). */
export function setup(): SetupData | undefined {
  return clusterSetup();
}

export default function (data: SetupData | undefined): void {
  useSetupData(data);
  issue();
}
