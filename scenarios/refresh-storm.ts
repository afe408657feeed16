// Many clients refreshing at once with rotation: each VU keeps its own refresh-token chain.
import { config } from './lib/config.ts';
import { refresh } from './lib/operations.ts';

export const options = config.options;
export { handleSummary } from './lib/summary.ts';

export default function (): void {
  refresh();
}
