/**
 * k6's per-sample CSV output (`--out csv`) folded into one bucket per second: throughput, latency,
 * errors, the correctness counters (CHECKS.md L01, L02) and availability of legitimate requests
 * (a game day's per-phase availability and recovery time) over time. Read incrementally while k6
 * runs (the progress line) and once more at the end. Hand-written because it is a fold over one
 * known CSV shape (k6 quotes nothing in these columns); a CSV library would add nothing.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { TokenKind } from './token-pool.ts';

export interface SecondBucket {
  /** Unix second. */
  second: number;
  requests: number;
  durations: number[];
  errors: number;
  outcomes: number;
  wronglyAccepted: Record<Exclude<TokenKind, 'valid'>, number>;
  validRefused: number;
  serverErrors: number;
  /** Legitimate requests (k6's `tokenproof_available` samples) and how many of them succeeded. */
  legitimate: number;
  succeeded: number;
}

export interface SeriesTotals {
  requests: number;
  wronglyAccepted: Record<Exclude<TokenKind, 'valid'>, number>;
  validRefused: number;
  serverErrors: number;
  /** Requests sent per token kind (validation and introspection). */
  sentByKind: Record<TokenKind, number>;
  /** http_req_duration samples per operation, and per operation and client auth method. */
  durationsByOp: Map<string, number[]>;
  /** Samples seen per `metric` and per `metric{op}`: proof that an SLO's metric was emitted. */
  samples: Map<string, number>;
}

export class SeriesReader {
  readonly buckets = new Map<number, SecondBucket>();
  readonly totals: SeriesTotals = {
    requests: 0,
    wronglyAccepted: { expired: 0, forged: 0, revoked: 0 },
    validRefused: 0,
    serverErrors: 0,
    sentByKind: { valid: 0, expired: 0, forged: 0, revoked: 0 },
    durationsByOp: new Map(),
    samples: new Map(),
  };
  #offset = 0;
  #partial = '';
  #columns: Record<string, number> | undefined;

  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  /** Reads what k6 has appended since the last call; a missing file is not yet written. */
  poll(): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      while (this.#offset < size) {
        const chunk = Buffer.alloc(Math.min(1 << 20, size - this.#offset));
        const read = readSync(fd, chunk, 0, chunk.length, this.#offset);
        if (read <= 0) break;
        this.#offset += read;
        const text = this.#partial + chunk.subarray(0, read).toString('utf8');
        const lines = text.split('\n');
        this.#partial = lines.pop() ?? '';
        for (const line of lines) this.#line(line);
      }
    } finally {
      closeSync(fd);
    }
  }

  #line(line: string): void {
    if (line === '') return;
    const fields = line.split(',');
    if (!this.#columns) {
      this.#columns = Object.fromEntries(fields.map((name, index) => [name, index]));
      return;
    }
    const column = (name: string) => fields[this.#columns?.[name] ?? -1];
    const metric = column('metric_name') ?? '';
    const second = Number(column('timestamp'));
    const value = Number(column('metric_value'));
    const tags = new URLSearchParams(column('extra_tags') ?? '');
    const op = tags.get('op') ?? undefined;
    const count = (key: string) => this.totals.samples.set(key, (this.totals.samples.get(key) ?? 0) + 1);
    count(metric);
    if (op) count(`${metric}{op:${op}}`);
    const bucket = this.#bucket(second);
    switch (metric) {
      case 'http_reqs': {
        bucket.requests += value;
        this.totals.requests += value;
        const kind = tags.get('kind') as TokenKind | null;
        if (kind && kind in this.totals.sentByKind) this.totals.sentByKind[kind] += value;
        break;
      }
      case 'http_req_duration': {
        bucket.durations.push(value);
        if (op) {
          this.#durations(op).push(value);
          const auth = tags.get('auth');
          if (auth) this.#durations(`${op} ${auth}`).push(value);
        }
        break;
      }
      case 'tokenproof_errors':
        bucket.outcomes++;
        bucket.errors += value;
        break;
      case 'tokenproof_wrongly_accepted': {
        const kind = tags.get('kind');
        if (kind === 'expired' || kind === 'forged' || kind === 'revoked') {
          bucket.wronglyAccepted[kind] += value;
          this.totals.wronglyAccepted[kind] += value;
        }
        break;
      }
      case 'tokenproof_valid_refused':
        bucket.validRefused += value;
        this.totals.validRefused += value;
        break;
      case 'tokenproof_server_errors':
        bucket.serverErrors += value;
        this.totals.serverErrors += value;
        break;
      case 'tokenproof_available':
        bucket.legitimate++;
        if (value > 0) bucket.succeeded++;
        break;
    }
  }

  #durations(key: string): number[] {
    const list = this.totals.durationsByOp.get(key) ?? [];
    this.totals.durationsByOp.set(key, list);
    return list;
  }

  #bucket(second: number): SecondBucket {
    let bucket = this.buckets.get(second);
    if (!bucket) {
      bucket = {
        second,
        requests: 0,
        durations: [],
        errors: 0,
        outcomes: 0,
        wronglyAccepted: { expired: 0, forged: 0, revoked: 0 },
        validRefused: 0,
        serverErrors: 0,
        legitimate: 0,
        succeeded: 0,
      };
      this.buckets.set(second, bucket);
    }
    return bucket;
  }

  /** The buckets in time order. */
  seconds(): SecondBucket[] {
    return [...this.buckets.values()].sort((a, b) => a.second - b.second);
  }
}

/** The p-th percentile (0-100) by nearest rank; undefined for no samples. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function wronglyAcceptedIn(bucket: Pick<SecondBucket, 'wronglyAccepted'>): number {
  return bucket.wronglyAccepted.expired + bucket.wronglyAccepted.forged + bucket.wronglyAccepted.revoked;
}
