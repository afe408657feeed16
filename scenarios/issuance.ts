// client_credentials at a constant arrival rate, one k6 scenario per client (and so per client
// auth method); the harness sizes the executors and sets the thresholds from the profile's slo.
import { config } from './lib/config.ts';
import { issue } from './lib/operations.ts';

export const options = config.options;
export { handleSummary } from './lib/summary.ts';

export default function (): void {
  issue();
}
