/**
 * Expected findings (`--expect FILE`): known deviations of a target, listed so CI can gate on
 * everything else. The OpenID conformance suite's expected-failures idea, made visible in every
 * report. A listed finding that happens is marked `expected` and does not fail the run; a listed
 * finding that no longer happens is reported as fixed (the entry can go); anything unlisted
 * counts as usual.
 *
 * ```yaml
 * - check: discovery.no-legacy-grants   # a check id or a catalog code (D07)
 *   outcome: warn                       # fail | warn | error
 *   reason: implicit                    # optional: must occur in the reason (case-insensitive)
 *   note: "IDP-231: implicit is removed in 5.0"
 * ```
 *
 * The known checks are passed in (the CLI hands over every suite's checks), so the results
 * model does not import the suites.
 */
import { z } from 'zod';
import { loadYamlFile, parseYamlText } from '../config/yaml-file.ts';
import type { CheckResult, FixedFinding, Outcome } from './model.ts';

/** Outcomes a finding can have: a pass or a skip is not a finding. */
export const expectableOutcomes = ['fail', 'warn', 'error'] as const satisfies readonly Outcome[];

/** One entry as resolved against the catalog: `id` is the check id whatever the file named. */
export interface Expectation {
  /** As written in the file: an id or a catalog code. */
  check: string;
  id: string;
  outcome: (typeof expectableOutcomes)[number];
  reason?: string;
  note?: string;
}

export interface KnownCheck {
  id: string;
  catalog?: string;
}

const entrySchema = z.strictObject({
  check: z.string({ error: 'is required: a check id (discovery.no-legacy-grants) or a catalog code (D07)' }).min(1),
  outcome: z.enum(expectableOutcomes, { error: `must be one of ${expectableOutcomes.join(', ')}` }),
  reason: z.string({ error: 'must be text that occurs in the reason' }).min(1).optional(),
  note: z.string({ error: 'must be text (a ticket, an explanation)' }).optional(),
});

function expectationsSchema(known: readonly KnownCheck[]) {
  const byName = new Map<string, string>();
  for (const check of known) {
    byName.set(check.id, check.id);
    if (check.catalog) byName.set(check.catalog, check.id);
  }
  return z
    .array(entrySchema, { error: 'must be a YAML list of entries {check, outcome, reason?, note?}' })
    .superRefine((entries, context) => {
      const seen = new Map<string, number>();
      entries.forEach((entry, index) => {
        const id = byName.get(entry.check);
        if (!id) {
          context.addIssue({
            code: 'custom',
            path: [index, 'check'],
            message: `names no known check '${entry.check}'; see \`tokenproof list\``,
          });
          return;
        }
        const earlier = seen.get(id);
        // A check has one outcome per run: a second entry for it could only ever be reported as fixed.
        if (earlier !== undefined) {
          context.addIssue({
            code: 'custom',
            path: [index, 'check'],
            message: `lists ${id} a second time (entry [${earlier}] already does)`,
          });
        }
        seen.set(id, index);
      });
    })
    .transform((entries) =>
      entries.map(
        (entry): Expectation => ({
          ...entry,
          id: byName.get(entry.check) ?? entry.check,
        }),
      ),
    );
}

/** Reads and validates an expectations file; every problem is a ConfigError naming the file, line and field. */
export function loadExpectations(file: string, known: readonly KnownCheck[]): Expectation[] {
  return loadYamlFile(file, expectationsSchema(known));
}

/** The same, from text (tests, or a list that did not come from a file). */
export function parseExpectations(text: string, file: string, known: readonly KnownCheck[]): Expectation[] {
  return parseYamlText(text, file, expectationsSchema(known));
}

function matches(entry: Expectation, result: CheckResult): boolean {
  if (result.id !== entry.id || result.outcome !== entry.outcome) return false;
  return entry.reason === undefined || result.reason.toLowerCase().includes(entry.reason.toLowerCase());
}

export interface MatchOptions {
  /**
   * The check ids this run selected. An entry for a check outside the selection is not judged
   * (a shared list under `--suites jwks` must not call every discovery entry fixed); without
   * this, every entry is judged.
   */
  selected?: Iterable<string>;
}

/**
 * Marks the results the list names (`expected: {note}`) and lists the entries that did not
 * happen as fixed, with what the check did instead.
 */
export function applyExpectations(
  entries: readonly Expectation[],
  checks: readonly CheckResult[],
  options: MatchOptions = {},
): { checks: CheckResult[]; fixed: FixedFinding[] } {
  const selected = options.selected ? new Set(options.selected) : undefined;
  const matched = new Set<Expectation>();
  const marked = checks.map((result) => {
    const entry = entries.find((candidate) => !matched.has(candidate) && matches(candidate, result));
    if (!entry) return result;
    matched.add(entry);
    return { ...result, expected: entry.note === undefined ? {} : { note: entry.note } };
  });
  const fixed: FixedFinding[] = entries
    .filter((entry) => !matched.has(entry) && (!selected || selected.has(entry.id)))
    .map((entry) => ({
      check: entry.id,
      outcome: entry.outcome,
      ...(entry.reason !== undefined && { reason: entry.reason }),
      ...(entry.note !== undefined && { note: entry.note }),
      observed: checks.find((result) => result.id === entry.id)?.outcome ?? 'not run',
    }));
  return { checks: marked, fixed };
}

/** The engine's hook (harness/engine/run.ts `ExpectationMatcher`) for a loaded list. */
export function expectationMatcher(
  entries: readonly Expectation[],
  options: MatchOptions = {},
): (checks: CheckResult[]) => { checks: CheckResult[]; fixed: FixedFinding[] } {
  const selected = options.selected ? [...options.selected] : undefined;
  return (checks) => applyExpectations(entries, checks, selected ? { selected } : {});
}
