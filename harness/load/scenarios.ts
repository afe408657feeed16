/**
 * The load scenarios (scripts in scenarios/) as data: which operations each runs and at what
 * share of the requested rate, and the k6 options built from them: one constant-arrival-rate
 * executor per operation (open model: the target's slowness does not slow the arrivals), sized so
 * the generator keeps the rate (CHECKS.md L03).
 */
import { join } from 'node:path';
import { UsageError } from '../lib/errors.ts';
import { repoRoot } from '../tools/paths.ts';

export type Operation = 'issuance' | 'validation' | 'introspection' | 'refresh' | 'revocation';
export const scenarioNames = ['issuance', 'validation', 'refresh-storm', 'introspection', 'mixed'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export interface Scenario {
  name: ScenarioName;
  script: string;
  description: string;
  /** Relative weights; an operation the target cannot serve is dropped and the others share its rate. */
  weights: Partial<Record<Operation, number>>;
}

const script = (name: string) => join(repoRoot, 'scenarios', `${name}.ts`);

export const scenarios: Record<ScenarioName, Scenario> = {
  issuance: {
    name: 'issuance',
    script: script('issuance'),
    description: 'client_credentials at the token endpoint, each profile client (and so auth method) in turn',
    weights: { issuance: 1 },
  },
  validation: {
    name: 'validation',
    script: script('validation'),
    description: 'resource-server calls with pre-minted valid tokens and a share of expired, forged and revoked ones',
    weights: { validation: 1 },
  },
  'refresh-storm': {
    name: 'refresh-storm',
    script: script('refresh-storm'),
    description: 'many clients refreshing at once with rotation, each VU on its own chain',
    weights: { refresh: 1 },
  },
  introspection: {
    name: 'introspection',
    script: script('introspection'),
    description: 'RFC 7662 introspection of pool tokens: active for the valid ones only',
    weights: { introspection: 1 },
  },
  mixed: {
    name: 'mixed',
    script: script('mixed'),
    description: 'a production-like mix: validation, issuance, introspection, refresh and revocation',
    weights: { validation: 70, issuance: 15, introspection: 5, refresh: 5, revocation: 5 },
  },
};

export function scenarioByName(name: string): Scenario {
  if (!(scenarioNames as readonly string[]).includes(name))
    throw new UsageError(`unknown scenario '${name}': choose one of ${scenarioNames.join(', ')}`);
  return scenarios[name as ScenarioName];
}

export interface OperationRate {
  operation: Operation;
  /** Iterations per second. */
  rate: number;
}

/** Splits the total rate by weight over the operations the target serves; each gets at least 1/s. */
export function splitRate(scenario: Scenario, totalRate: number, available: ReadonlySet<Operation>): OperationRate[] {
  const entries = (Object.entries(scenario.weights) as [Operation, number][]).filter(([op]) => available.has(op));
  const weight = entries.reduce((sum, [, w]) => sum + w, 0);
  return entries.map(([operation, w]) => ({ operation, rate: Math.max(1, Math.round((totalRate * w) / weight)) }));
}

export interface ExecutorSize {
  preAllocatedVUs: number;
  maxVUs: number;
}

/**
 * VUs for an arrival rate: enough pre-allocated for 500 ms per iteration, because k6 drops an
 * arrival when no VU is free at its instant and VUs it has to create mid-run come too late (a
 * cold target's first answers are slow); room to grow to 2 s per iteration. Capped so a high
 * rate cannot make the generator allocate gigabytes of VUs.
 */
export function sizeExecutor(rate: number): ExecutorSize {
  const preAllocatedVUs = Math.min(400, Math.max(10, Math.ceil(rate * 0.5)));
  const maxVUs = Math.min(1000, Math.max(preAllocatedVUs * 2, Math.ceil(rate * 2)));
  return { preAllocatedVUs, maxVUs };
}

export interface K6ScenarioOptions {
  executor: 'constant-arrival-rate';
  rate: number;
  timeUnit: '1s';
  duration: string;
  preAllocatedVUs: number;
  maxVUs: number;
  gracefulStop: string;
  tags: { operation: Operation };
}

export function k6Scenarios(rates: readonly OperationRate[], durationMs: number): Record<string, K6ScenarioOptions> {
  const result: Record<string, K6ScenarioOptions> = {};
  for (const { operation, rate } of rates) {
    result[operation] = {
      executor: 'constant-arrival-rate',
      rate,
      timeUnit: '1s',
      duration: `${Math.max(1, Math.round(durationMs / 1000))}s`,
      ...sizeExecutor(rate),
      gracefulStop: '5s',
      tags: { operation },
    };
  }
  return result;
}
