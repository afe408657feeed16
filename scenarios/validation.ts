// Protected-resource calls with tokens from the pre-minted pool: valid ones, and a share of
// expired, forged and revoked ones that must all be refused (CHECKS.md L01).
import { clusterSetup } from './lib/cluster.ts';
import { config } from './lib/config.ts';
import { type SetupData, useSetupData, validate } from './lib/operations.ts';

export const options = config.options;
export { handleSummary } from './lib/summary.ts';

/** Cluster runs mint the pool here (lib/cluster.ts); local runs skip setup (the harness minted it). */
export function setup(): SetupData | undefined {
  return clusterSetup();
}

export default function (data: SetupData | undefined): void {
  useSetupData(data);
  validate();
}
