/**
 * A Server-Sent Events client (WHATWG HTML §9.2 "Server-sent events"): the reference resource
 * server subscribes with it to the issuer's revocation events, and tests read the stream with it.
 *
 * Written by hand because no SSE client is installed and the job is small: Node has no
 * EventSource without an experimental flag, and the browser-shaped EventSource API cannot send
 * an Authorization header, bound a stalled stream (toxiproxy `timeout` faults leave a
 * connection open and silent) or report each failed attempt. The parser follows the spec's
 * line rules (CR, LF or CRLF; `:` comments; one optional space after the colon; `id` with NUL
 * ignored; `retry` digits only; `data` lines joined with LF; an event without data is dropped).
 */

export interface SseEvent {
  /** The `event:` field, `message` when absent. */
  type: string;
  data: string;
  /** The last event id seen on the stream so far (ids persist across events, as in the spec). */
  lastEventId: string;
}

/** Incremental parser: feed it decoded text in chunks of any size; it returns completed events. */
export class SseParser {
  private buffer = '';
  private afterCr = false;
  private started = false;
  private data: string[] = [];
  private type = '';
  /** The spec's "last event ID buffer": set by `id:` lines, committed at the next blank line. */
  private idBuffer = '';
  private committedId = '';
  /** Milliseconds from the last valid `retry:` field, if any. */
  retryMs: number | undefined;

  constructor(lastEventId = '') {
    this.idBuffer = lastEventId;
    this.committedId = lastEventId;
  }

  /** The id to resume from: only ids of completed events count, never one of a half-received event. */
  get lastEventId(): string {
    return this.committedId;
  }

  push(text: string): SseEvent[] {
    let chunk = text;
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.startsWith('\uFEFF')) chunk = chunk.slice(1);
    }
    // A CR that ended the previous chunk already ended a line: a leading LF here belongs to it.
    if (this.afterCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.afterCr = false;
    const events: SseEvent[] = [];
    let start = 0;
    for (let index = 0; index < chunk.length; index++) {
      const char = chunk[index];
      if (char !== '\n' && char !== '\r') continue;
      const line = this.buffer + chunk.slice(start, index);
      this.buffer = '';
      const event = this.line(line);
      if (event) events.push(event);
      if (char === '\r') {
        if (index + 1 < chunk.length) {
          if (chunk[index + 1] === '\n') index++;
        } else {
          this.afterCr = true;
        }
      }
      start = index + 1;
    }
    this.buffer += chunk.slice(start);
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.type = value;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.idBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    this.committedId = this.idBuffer;
    const data = this.data;
    const type = this.type;
    this.data = [];
    this.type = '';
    if (data.length === 0) return undefined;
    return { type: type || 'message', data: data.join('\n'), lastEventId: this.committedId };
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
