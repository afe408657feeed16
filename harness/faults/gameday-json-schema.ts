/** Generates scenarios/gamedays/gameday.schema.json from the zod schema, so editors complete and check game days. */
import { z } from 'zod';
import { gamedaySchema } from './gameday.ts';

export function gamedayJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(gamedaySchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://tokenproof.dev/schemas/gameday.schema.json',
    title: 'tokenproof game day',
  };
}

if (import.meta.main) {
  const { writeFileSync } = await import('node:fs');
  const target = new URL('../../scenarios/gamedays/gameday.schema.json', import.meta.url);
  writeFileSync(target, `${JSON.stringify(gamedayJsonSchema(), null, 2)}\n`);
  process.stdout.write(`wrote ${target.pathname}\n`);
}
