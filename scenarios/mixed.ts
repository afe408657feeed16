// A weighted mix that looks like production: mostly validations, some issuance, refreshes and
// revocations. Each operation is its own k6 scenario (the harness splits the rate by weight), so
// every operation keeps its own arrival rate and tags.
import exec from 'k6/execution';
import { config } from './lib/config.ts';
import { introspect, issue, refresh, revoke, validate } from './lib/operations.ts';

export const options = config.options;
export { handleSummary } from './lib/summary.ts';

const operations: Record<string, () => void> = {
  issuance: () => issue(),
  validation: () => validate(),
  introspection: () => introspect(),
  refresh: () => refresh(),
  revocation: () => revoke(),
};

export default function (): void {
  const operation = operations[exec.scenario.name];
  if (!operation) throw new Error(`mixed has no operation ${exec.scenario.name}`);
  operation();
}
