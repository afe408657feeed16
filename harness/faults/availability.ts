/**
 * Per-second availability of legitimate requests (k6's `tokenproof_available` Rate samples) read
 * from the load's CSV output once k6 has finished. harness/load/series.ts folds everything else
 * per second but keeps this metric only as k6's end-of-test rate; a game day needs it per phase
 * and per second (recovery time). When series.ts folds it per bucket, this file goes.
 */
import { readFileSync } from 'node:fs';

export interface AvailabilitySecond {
  /** Unix second. */
  second: number;
  legitimate: number;
  succeeded: number;
}

export function availabilityBySecond(csvFile: string): Map<number, AvailabilitySecond> {
  const seconds = new Map<number, AvailabilitySecond>();
  let text: string;
  try {
    text = readFileSync(csvFile, 'utf8');
  } catch {
    return seconds;
  }
  const lines = text.split('\n');
  const header = (lines[0] ?? '').split(',');
  const metricColumn = header.indexOf('metric_name');
  const timeColumn = header.indexOf('timestamp');
  const valueColumn = header.indexOf('metric_value');
  for (const line of lines.slice(1)) {
    if (!line.startsWith('tokenproof_available,') && metricColumn === 0) continue;
    const fields = line.split(',');
    if (fields[metricColumn] !== 'tokenproof_available') continue;
    const second = Number(fields[timeColumn]);
    const entry = seconds.get(second) ?? { second, legitimate: 0, succeeded: 0 };
    entry.legitimate++;
    if (Number(fields[valueColumn]) > 0) entry.succeeded++;
    seconds.set(second, entry);
  }
  return seconds;
}
