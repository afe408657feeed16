// RFC 7662 introspection of pool tokens at the issuer: `active` true for the valid ones only.
import { config } from './lib/config.ts';
import { introspect } from './lib/operations.ts';

export const options = config.options;
export { handleSummary } from './lib/summary.ts';

export default function (): void {
  introspect();
}
