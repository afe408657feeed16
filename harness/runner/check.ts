/**
 * One conformance check = one small module (DESIGN.md "Checks"): id, title, the spec clauses it
 * enforces, its level, what it needs, and run(t). A check reads as a short story over shared
 * steps; t.fail / t.assert end it with a reason in the reader's terms.
 */
import type { Capability } from '../profile/schema.ts';
import type { Level } from '../results/model.ts';
import type { CheckContext } from './context.ts';

/** Parts of the target a check needs; a profile without them skips the check with a reason. */
export type TargetPart = 'issuer' | 'primaryClient' | 'secondaryClient' | 'login' | 'resourceServer' | 'keyRotation';

export interface CheckDefinition {
  id: string;
  /** The line of shared/CHECKS.md this check implements (D01, K05, ...). */
  catalog?: string;
  title: string;
  spec: string[];
  level: Level;
  needs?: TargetPart[];
  /** Issuer capabilities (from the profile, else detected from discovery). */
  requires?: Capability[];
  /** Refresh-rotation semantics this check applies to; absent = all. */
  profiles?: ('rfc9700' | 'fapi2')[];
  /** A per-check time limit above the profile's default (e.g. propagation measurements). */
  timeoutMs?: number;
  /**
   * Checks (ids) that must pass (or warn) first, e.g. a positive control. When one does not,
   * this check is `error` naming it instead of a misleading pass or fail; selecting this check
   * selects them too.
   */
  dependsOn?: string[];
  run(t: CheckContext): Promise<void>;
}

export interface Check extends CheckDefinition {
  suite: string;
}

export function check(definition: CheckDefinition): CheckDefinition {
  if (!/^[a-z0-9-]+\.[a-z0-9-]+$/.test(definition.id)) throw new Error(`check id '${definition.id}' must look like suite.name`);
  return definition;
}

export interface Suite {
  name: string;
  title: string;
  checks: Check[];
}

export function suite(name: string, title: string, checks: CheckDefinition[]): Suite {
  for (const definition of checks) {
    if (!definition.id.startsWith(`${name}.`)) throw new Error(`check ${definition.id} is listed in suite ${name}`);
  }
  return { name, title, checks: checks.map((definition) => ({ ...definition, suite: name })) };
}
