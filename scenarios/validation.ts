// Protected-resource calls with tokens from the pre-minted pool: valid ones, and a share of
// expired, forged and revoked ones that must all be refused (CHECKS.md L01).
import { config } from './lib/config.ts';
import { validate } from './lib/operations.ts';

export const options = config.options;
export { handleSummary } from './lib/summary.ts';

export default function (): void {
  validate();
}
