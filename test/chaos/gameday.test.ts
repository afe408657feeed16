/** Game-day files: every shipped one is valid, mistakes name the file, line and field, and the JSON Schema is current. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYamlText } from '../../harness/config/yaml-file.ts';
import { gamedayDurationMs, gamedaySchema, loadGameday } from '../../harness/faults/gameday.ts';
import { gamedayJsonSchema } from '../../harness/faults/gameday-json-schema.ts';

const dir = join(import.meta.dirname, '..', '..', 'scenarios', 'gamedays');
const shipped = readdirSync(dir).filter((file) => file.endsWith('.yaml'));

const parse = (text: string) => parseYamlText(text, 'day.yaml', gamedaySchema);
const base = `name: x
load: { scenario: validation }
phases:
  - { name: baseline, kind: baseline, at: 0s, for: 2s }
  - { name: outage, kind: fault, at: 2s, for: 2s, fault: { kind: idp-outage }, links: [jwks] }
`;

describe('game days', () => {
  it('ships the six game days of issue 11, the default one, the token-link one and the V08-RS one, all valid', () => {
    expect(shipped.sort()).toEqual([
      'clock-skew.yaml',
      'idp-hang.yaml',
      'idp-outage.yaml',
      'introspection-latency.yaml',
      'issuance-outage.yaml',
      'revocation-during-events-outage.yaml',
      'revocation-during-outage.yaml',
      'run-default.yaml',
      'truncated-jwks.yaml',
    ]);
    for (const file of shipped) {
      const gameday = loadGameday(join(dir, file));
      expect(gameday.phases.some((phase) => phase.kind === 'fault')).toBe(true);
      // Short on purpose: the suite runs every one of them against real servers.
      expect(gamedayDurationMs(gameday)).toBeLessThanOrEqual(15_000);
    }
  });

  it('parses durations, defaults and faults', () => {
    const gameday = parse(base);
    expect(gameday.subject).toBe('jwt');
    expect(gameday.phases[1]).toMatchObject({ at: 2000, for: 2000, fault: { kind: 'idp-outage' }, links: ['jwks'] });
    expect(gameday.slo.recoveryTime).toBe(3000);
    expect(gameday.leeway).toBe(60_000);
  });

  it('names the file, line and field of a mistake', () => {
    expect(() => parse(base.replace('idp-outage', 'idp-explodes'))).toThrow(/day\.yaml:5:\d+: field 'phases\[1\]\.fault\.kind'/);
    expect(() => parse(`${base}slo: { fault: { p95: soon } }\n`)).toThrow(/day\.yaml:6:\d+: field 'slo\.fault\.p95'/);
    expect(() => parse(`${base}surprise: 1\n`)).toThrow(/day\.yaml:6:1: field 'surprise' is not a known field/);
    expect(() => parse(base.replace('at: 2s, for: 2s', 'at: 1s, for: 2s'))).toThrow(/field 'phases\[1\]\.at'.*starts before/);
    expect(() => parse(base.replace('kind: fault, at', 'kind: recovery, at'))).toThrow(/phases\[1\]\.kind/);
  });

  it('keeps scenarios/gamedays/gameday.schema.json in step with the zod schema', () => {
    const written = JSON.parse(readFileSync(join(dir, 'gameday.schema.json'), 'utf8')) as unknown;
    expect(written).toEqual(gamedayJsonSchema());
  });
});
