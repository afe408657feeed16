/** The zod type of a duration field in every YAML file tokenproof reads: `30s`, `250ms`, `5m`, or seconds; parsed to milliseconds. */
import { z } from 'zod';
import { parseDurationMs } from '../lib/duration.ts';

export const durationMs = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `'${value}' is not a duration (use e.g. 30s, 5m, 250ms)` });
      return z.NEVER;
    }
    return ms;
  })
  .describe('a duration: 30s, 250ms, 5m, or a number of seconds');
