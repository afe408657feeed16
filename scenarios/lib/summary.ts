// k6's end-of-test summary, as JSON, to where the harness reads it (report.json takes it from there).
import { config } from './config.ts';

export function handleSummary(data: Record<string, unknown>): Record<string, string> {
  return { [config.summaryFile]: JSON.stringify(data) };
}
