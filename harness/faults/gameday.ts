/**
 * A game day (DESIGN.md "Faults"): a load scenario, a timeline of phases (`at`, `for`, a fault on
 * a link) and SLOs per phase kind (baseline, fault, recovery), as YAML in scenarios/gamedays/.
 * Validated like profiles (harness/config/yaml-file.ts): an error names the file, line and field.
 */
import { z } from 'zod';
import { durationMs } from '../config/duration-schema.ts';
import { loadYamlFile } from '../config/yaml-file.ts';
import { ConfigError } from '../lib/errors.ts';
import { scenarioNames } from '../load/scenarios.ts';

const duration = durationMs;
const fraction = z.number().min(0).max(1);
const stream = z
  .enum(['upstream', 'downstream'])
  .optional()
  .describe('the direction a toxic acts on (default downstream: the answers)');
const toxicity = fraction.optional().describe('share of connections the toxic applies to (default 1)');

/** Where a fault sits: the connection from the resource server (or the load) to the issuer. */
export const linkNames = ['jwks', 'introspection', 'revocation-events', 'token'] as const;
export type LinkName = (typeof linkNames)[number];

const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('idp-outage').describe('the proxy is disabled: connections are refused') }),
  z.strictObject({ kind: z.literal('idp-hang').describe('timeout 0: connections open, nothing comes back'), stream, toxicity }),
  z.strictObject({ kind: z.literal('latency'), latency: duration, jitter: duration.optional(), stream, toxicity }),
  z.strictObject({ kind: z.literal('reset-peer'), after: duration.optional(), stream, toxicity }),
  z.strictObject({
    kind: z.literal('truncate').describe('limit_data: the connection closes after this many bytes (a cut JWKS)'),
    bytes: z.number().int().min(0),
    stream,
    toxicity,
  }),
  z.strictObject({ kind: z.literal('bandwidth'), kilobytesPerSecond: z.number().int().min(0), stream, toxicity }),
  z.strictObject({
    kind: z.literal('slicer'),
    averageSize: z.number().int().min(1),
    sizeVariation: z.number().int().min(0).optional(),
    delay: duration.optional().describe('pause between slices'),
    stream,
    toxicity,
  }),
  z.strictObject({
    kind: z
      .literal('clock-skew')
      .describe("the issuer's clock moved by offset (admin offset, libfaketime, or the test issuer's forger)"),
    offset: z.number().int().describe('seconds; negative = the issuer runs behind'),
  }),
]);
export type GamedayFault = z.output<typeof faultSchema>;

const phaseSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    kind: z.enum(['baseline', 'fault', 'recovery']).describe('which SLOs judge the phase'),
    at: duration.describe('start, from the start of the load'),
    for: duration.describe('how long the phase lasts'),
    fault: faultSchema.optional(),
    links: z.array(z.enum(linkNames)).min(1).optional().describe('where the fault sits (default: every link of the subject)'),
    revoke: z
      .number()
      .int()
      .min(1)
      .max(20)
      .optional()
      .describe(
        'tokens the RS has accepted, revoked at the issuer during this phase: each must be refused within slo.revocationPropagation once the phase ends',
      ),
  })
  .superRefine((phase, ctx) => {
    if (phase.kind === 'fault' && !phase.fault)
      ctx.addIssue({ code: 'custom', path: ['fault'], message: 'a fault phase names its fault' });
    if (phase.kind !== 'fault' && phase.fault)
      ctx.addIssue({ code: 'custom', path: ['kind'], message: `a phase with a fault is kind: fault, not ${phase.kind}` });
    if (phase.links && (!phase.fault || phase.fault.kind === 'clock-skew'))
      ctx.addIssue({ code: 'custom', path: ['links'], message: 'links apply to network faults only' });
  });
export type GamedayPhase = z.output<typeof phaseSchema>;

const phaseSlo = z.strictObject({
  availability: fraction.optional().describe('fraction of legitimate requests that succeed in the phase, e.g. 0.99'),
  p95: duration.optional().describe('95th percentile latency of the phase'),
  errorRate: fraction.optional().describe('largest fraction of requests with an unexpected outcome'),
});

export const gamedaySchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().min(1),
    description: z.string().optional(),
    subject: z
      .enum(['jwt', 'introspection', 'propagation'])
      .default('jwt')
      .describe(
        "jwt: the resource server that validates JWTs with the JWKS; introspection: the one that asks the issuer (RFC 7662); propagation: the JWT one that trusts the target issuer and learns revocations from its events (V08's)",
      ),
    load: z.strictObject({
      scenario: z.enum(scenarioNames).default('validation'),
      rate: z.number().int().min(1).max(5000).default(40).describe('arrivals per second'),
      poolSize: z.number().int().min(20).max(5000).default(100),
    }),
    phases: z.array(phaseSchema).min(2),
    slo: z
      .strictObject({
        baseline: phaseSlo.prefault({}),
        fault: phaseSlo.prefault({}),
        recovery: phaseSlo.prefault({}),
        recoveryTime: duration
          .default(3000)
          .describe('after a fault ends, the success rate is back at the recovery SLO within this (C06)'),
        revocationPropagation: duration.optional().describe("default: the profile's slo.revocationPropagation, else 5s"),
      })
      .prefault({}),
    leeway: duration
      .default(60_000)
      .describe('C05: a token whose nbf is later, or whose exp earlier, than now by more than this must be refused'),
  })
  .superRefine((gameday, ctx) => {
    let end = 0;
    gameday.phases.forEach((phase, index) => {
      if (phase.at < end)
        ctx.addIssue({
          code: 'custom',
          path: ['phases', index, 'at'],
          message: `starts before the previous phase ends (${end} ms)`,
        });
      end = phase.at + phase.for;
    });
    if (!gameday.phases.some((phase) => phase.kind === 'fault'))
      ctx.addIssue({ code: 'custom', path: ['phases'], message: 'a game day has at least one fault phase' });
  });

export type Gameday = z.output<typeof gamedaySchema>;

export function loadGameday(file: string): Gameday {
  return loadYamlFile(file, gamedaySchema);
}

/** The load runs from the first phase's start to the last one's end. */
export function gamedayDurationMs(gameday: Gameday): number {
  return Math.max(...gameday.phases.map((phase) => phase.at + phase.for));
}

export function requireGameday(file: string | undefined): Gameday {
  if (!file) throw new ConfigError({ file: '(command line)', field: '--gameday', problem: 'names a game-day YAML file' });
  return loadGameday(file);
}
