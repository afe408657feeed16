/**
 * A Server-Sent Events client (WHATWG HTML §9.2 "Server-sent events"): the reference resource
 * server subscribes with it to the issuer's revocation events, and tests read the stream with it.
 *
 * The line parsing is eventsource-parser's (CR, LF or CRLF; `:` comments; one optional space
 * after the colon; `id` with NUL ignored; `retry` digits only; `data` lines joined with LF; an
 * event without data dropped). The connection is ours, because Node has no EventSource without an
 * experimental flag, and the browser-shaped EventSource API cannot send an Authorization header,
 * bound a stalled stream (toxiproxy `timeout` faults leave a connection open and silent) or
 * report each failed attempt.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';

export interface SseEvent {
  /** The `event:` field, `message` when absent. */
  type: string;
  data: string;
  /** The last event id seen on the stream so far (ids persist across events, as in the spec). */
  lastEventId: string;
}

/** Incremental parser: feed it decoded text in chunks of any size; it returns completed events. */
export class SseParser {
  private readonly parser: EventSourceParser;
  private pending: SseEvent[] = [];
  /** The spec's "last event ID string": an `id:` counts once the blank line ending its block arrives. */
  private committedId: string;
  /** Milliseconds from the last valid `retry:` field, if any. */
  retryMs: number | undefined;

  constructor(lastEventId = '') {
    this.committedId = lastEventId;
    this.parser = createParser({
      // Called for every block that carries a valid id, with or without data, before its event.
      onId: (id) => {
        this.committedId = id;
      },
      onEvent: (event) => {
        this.pending.push({ type: event.event || 'message', data: event.data, lastEventId: this.committedId });
      },
      onRetry: (ms) => {
        this.retryMs = ms;
      },
    });
  }

  /** The id to resume from: only ids of completed events count, never one of a half-received event. */
  get lastEventId(): string {
    return this.committedId;
  }

  push(text: string): SseEvent[] {
    this.parser.feed(text);
    const events = this.pending;
    this.pending = [];
    return events;
  }
}

export interface SseClientOptions {
  /** Should not throw: an exception drops the connection (reported to onError), which then resumes after this event. */
  onEvent(event: SseEvent): void;
  /** Each time a connection is established (status 2xx, content-type text/event-stream). */
  onOpen?(info: { status: number; attempt: number }): void;
  /** Each failed attempt or dropped stream; the client reconnects unless it was closed or reconnect is off. */
  onError?(error: Error): void;
  headers?: Record<string, string>;
  /** Resume after this id (sent as Last-Event-ID on the first connection too). */
  lastEventId?: string;
  /** Reconnect delays: starts at initialDelayMs (or the server's `retry:`), doubles per failure up to maxDelayMs. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number } | false;
  /** Abort a connection that delivers no bytes for this long (a silent, half-open stream), then reconnect. */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface SseConnection {
  /** The id to resume from: the last one the stream delivered. */
  readonly lastEventId: string;
  /** Resolves once the client has stopped (close(), the signal, or a drop with reconnect off). */
  readonly done: Promise<void>;
  close(): void;
}

export class SseHttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'SseHttpError';
    this.status = status;
  }
}

/** Opens an SSE stream with fetch and keeps it open, reconnecting with Last-Event-ID after a drop. */
export function connectSse(url: string, options: SseClientOptions): SseConnection {
  const stopper = new AbortController();
  const stop = () => stopper.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();
  const reconnect = options.reconnect === false ? undefined : (options.reconnect ?? {});
  const initialDelayMs = reconnect?.initialDelayMs ?? 1_000;
  const maxDelayMs = reconnect?.maxDelayMs ?? 30_000;
  let lastEventId = options.lastEventId ?? '';
  let serverRetryMs: number | undefined;

  /** One connection, until it drops; `opened` tells the caller whether to reset the backoff. */
  const connectOnce = async (attempt: number, state: { opened: boolean }): Promise<void> => {
    const connection = new AbortController();
    const abortConnection = () => connection.abort();
    stopper.signal.addEventListener('abort', abortConnection, { once: true });
    let idle: NodeJS.Timeout | undefined;
    let idleError: Error | undefined;
    const armIdle = () => {
      if (options.idleTimeoutMs === undefined) return;
      clearTimeout(idle);
      idle = setTimeout(() => {
        idleError = new Error(`event stream idle for ${options.idleTimeoutMs} ms`);
        connection.abort();
      }, options.idleTimeoutMs);
    };
    try {
      armIdle();
      const response = await fetch(url, {
        headers: {
          accept: 'text/event-stream',
          'cache-control': 'no-store',
          ...options.headers,
          ...(lastEventId !== '' && { 'last-event-id': lastEventId }),
        },
        signal: connection.signal,
      });
      const type = response.headers.get('content-type') ?? '';
      if (!response.ok || !/^text\/event-stream\b/i.test(type) || !response.body) {
        await response.body?.cancel().catch(() => undefined);
        throw new SseHttpError(response.status, `event stream refused: HTTP ${response.status} (${type || 'no content-type'})`);
      }
      state.opened = true;
      options.onOpen?.({ status: response.status, attempt });
      const parser = new SseParser(lastEventId);
      const decoder = new TextDecoder();
      for await (const bytes of response.body) {
        armIdle();
        for (const event of parser.push(decoder.decode(bytes, { stream: true }))) {
          lastEventId = event.lastEventId;
          if (!stopper.signal.aborted) options.onEvent(event);
        }
        if (parser.retryMs !== undefined) serverRetryMs = parser.retryMs;
        // A blank line after an id without data still moves the resume point (spec: dispatch step 1).
        lastEventId = parser.lastEventId;
      }
      throw new Error('event stream ended');
    } catch (error) {
      throw idleError ?? error;
    } finally {
      clearTimeout(idle);
      stopper.signal.removeEventListener('abort', abortConnection);
      connection.abort();
    }
  };

  const run = async () => {
    let failures = 0;
    for (let attempt = 1; !stopper.signal.aborted; attempt++) {
      const state = { opened: false };
      try {
        await connectOnce(attempt, state);
      } catch (error) {
        if (stopper.signal.aborted) break;
        options.onError?.(error instanceof Error ? error : new Error(String(error)));
      }
      if (stopper.signal.aborted || !reconnect) break;
      failures = state.opened ? 1 : failures + 1;
      const base = serverRetryMs ?? initialDelayMs;
      await delay(Math.min(base * 2 ** (failures - 1), Math.max(base, maxDelayMs)), stopper.signal);
    }
    options.signal?.removeEventListener('abort', stop);
  };

  const done = run();
  return {
    get lastEventId() {
      return lastEventId;
    },
    done,
    close: stop,
  };
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    }
    signal.addEventListener('abort', finish, { once: true });
  });
}
