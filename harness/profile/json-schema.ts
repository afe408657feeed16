/** Generates profile.schema.json from the zod schema, so editors complete and check profiles. */
import { z } from 'zod';
import { profileSchema } from './schema.ts';

export function profileJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(profileSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://tokenproof.dev/schemas/profile.schema.json',
    title: 'tokenproof target profile',
  };
}

if (import.meta.main) {
  const { writeFileSync } = await import('node:fs');
  const target = new URL('./profile.schema.json', import.meta.url);
  writeFileSync(target, `${JSON.stringify(profileJsonSchema(), null, 2)}\n`);
  process.stdout.write(`wrote ${target.pathname}\n`);
}
