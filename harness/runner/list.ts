/** `tokenproof list`: every suite and check with its level and clauses, as plain text. */
import type { Suite } from './check.ts';

export function formatCatalog(suites: Suite[]): string {
  const lines: string[] = [];
  for (const suite of suites) {
    lines.push(`${suite.name} — ${suite.title} (${suite.checks.length} checks)`);
    for (const check of suite.checks) {
      const catalog = check.catalog ? `${check.catalog} ` : '';
      lines.push(`  ${catalog}${check.id.padEnd(34)} ${check.level.padEnd(6)} ${check.title}`);
      lines.push(`      ${check.spec.join(', ')}`);
    }
  }
  return lines.join('\n');
}
