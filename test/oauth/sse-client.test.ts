import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectSse, type SseConnection, type SseEvent, SseHttpError, SseParser } from '../../harness/oauth/sse-client.ts';

describe('SseParser', () => {
  it('parses fields, comments, multi-line data and the default event type', () => {
    const parser = new SseParser();
    const events = parser.push(
      ': a comment\nid: 7\nevent: revocation\ndata: {"a":1}\n\ndata:first\ndata:  second\ndata\n\nretry: 250\n\n',
    );
    expect(events).toEqual([
      { type: 'revocation', data: '{"a":1}', lastEventId: '7' },
      // one leading space is stripped, not two; `data` without a colon is an empty line of data
      { type: 'message', data: 'first\n second\n', lastEventId: '7' },
    ]);
    expect(parser.retryMs).toBe(250);
  });

  it('accepts CR, LF and CRLF line ends, also when a CRLF is split across chunks', () => {
    const parser = new SseParser();
    const events = [...parser.push('data: a\r'), ...parser.push('\n\r\ndata: b\r\rdata: c\n'), ...parser.push('\n')];
    expect(events.map((event) => event.data)).toEqual(['a', 'b', 'c']);
  });

  it('yields the same events however the stream is cut into chunks', () => {
    const stream = '\uFEFFid: 1\r\nevent: x\r\ndata: one\r\n\r\n: keep-alive\n\nid: 2\rdata: two\rdata: lines\r\rdata: three\n\n';
    const whole = new SseParser().push(stream);
    expect(whole.map((event) => [event.lastEventId, event.type, event.data])).toEqual([
      ['1', 'x', 'one'],
      ['2', 'message', 'two\nlines'],
      ['2', 'message', 'three'],
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const parser = new SseParser();
      expect([...parser.push(stream.slice(0, cut)), ...parser.push(stream.slice(cut))], `cut at ${cut}`).toEqual(whole);
    }
  });

  it('drops events without data, ignores ids containing NUL and non-numeric retry values', () => {
    const parser = new SseParser('5');
    expect(parser.push('event: lonely\n\nid: 6\u00007\nretry: 1s\ndata: x\n\n')).toEqual([
      { type: 'message', data: 'x', lastEventId: '5' },
    ]);
    expect(parser.retryMs).toBeUndefined();
  });

  it('commits an id only at the end of its event, so a half-received event is not skipped on resume', () => {
    const parser = new SseParser();
    parser.push('id: 1\ndata: a\n\nid: 2\ndata: b');
    expect(parser.lastEventId).toBe('1');
    parser.push('\n\n');
    expect(parser.lastEventId).toBe('2');
    // an id-only block still moves the resume point (dispatch step 1 happens before the empty-data check)
    parser.push('id: 3\n\n');
    expect(parser.lastEventId).toBe('3');
  });
});

interface Listener {
  url: string;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

async function listen(handler: (request: IncomingMessage, response: ServerResponse, index: number) => void): Promise<Listener> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(request);
    handler(request, response, requests.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Collects what a connection reports and lets a test await a condition, with a deadline. */
class Recorder {
  readonly events: SseEvent[] = [];
  readonly errors: Error[] = [];
  opens = 0;
  private waiters: Array<() => void> = [];

  readonly options = {
    onEvent: (event: SseEvent) => this.note(() => this.events.push(event)),
    onError: (error: Error) => this.note(() => this.errors.push(error)),
    onOpen: () => this.note(() => this.opens++),
  };

  private note(change: () => unknown) {
    change();
    for (const waiter of this.waiters) waiter();
  }

  until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
      };
      this.waiters.push(check);
    });
  }
}

const sseHead = { 'content-type': 'text/event-stream', 'cache-control': 'no-store' };
let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

function track(connection: SseConnection, listener: Listener) {
  cleanups.push(listener.close, () => connection.close());
  return connection;
}

describe('connectSse', () => {
  it('delivers events, sends the caller headers and resumes with Last-Event-ID after the server drops the stream', async () => {
    const listener = await listen((request, response, index) => {
      response.writeHead(200, sseHead);
      if (index === 0) {
        response.end('retry: 20\n\nid: 1\ndata: one\n\nid: 2\ndata: two\n\nid: 3\ndata: half');
      } else {
        const after = Number(request.headers['last-event-id']);
        response.write(`id: ${after + 1}\ndata: resumed after ${after}\n\n`);
      }
    });
    const recorder = new Recorder();
    const connection = track(
      connectSse(listener.url, { ...recorder.options, headers: { authorization: 'Bearer test-value' } }),
      listener,
    );
    await recorder.until(() => recorder.events.length === 3, 'three events');
    expect(recorder.events.map((event) => [event.lastEventId, event.data])).toEqual([
      ['1', 'one'],
      ['2', 'two'],
      ['3', 'resumed after 2'],
    ]);
    expect(listener.requests.map((request) => request.headers['last-event-id'])).toEqual([undefined, '2']);
    expect(listener.requests[0]!.headers.authorization).toBe('Bearer test-value');
    expect(listener.requests[0]!.headers.accept).toBe('text/event-stream');
    expect(recorder.errors.map((error) => error.message)).toEqual(['event stream ended']);
    expect(connection.lastEventId).toBe('3');
  });

  it('starts from a given lastEventId', async () => {
    const listener = await listen((_request, response) => {
      response.writeHead(200, sseHead);
      response.write('data: hello\n\n');
    });
    const recorder = new Recorder();
    track(connectSse(listener.url, { ...recorder.options, lastEventId: '41' }), listener);
    await recorder.until(() => recorder.events.length === 1, 'one event');
    expect(listener.requests[0]!.headers['last-event-id']).toBe('41');
    expect(recorder.events[0]).toEqual({ type: 'message', data: 'hello', lastEventId: '41' });
  });

  it('reports a refused stream (HTTP error or wrong content-type) and retries', async () => {
    const listener = await listen((_request, response, index) => {
      if (index === 0) response.writeHead(503, { 'content-type': 'application/json' }).end('{}');
      else if (index === 1) response.writeHead(200, { 'content-type': 'text/plain' }).end('data: no\n\n');
      else response.writeHead(200, sseHead).write('data: finally\n\n');
    });
    const recorder = new Recorder();
    track(connectSse(listener.url, { ...recorder.options, reconnect: { initialDelayMs: 5, maxDelayMs: 20 } }), listener);
    await recorder.until(() => recorder.events.length === 1, 'the event after two refusals');
    expect(recorder.errors).toHaveLength(2);
    expect(recorder.errors[0]).toBeInstanceOf(SseHttpError);
    expect((recorder.errors[0] as SseHttpError).status).toBe(503);
    expect((recorder.errors[1] as SseHttpError).status).toBe(200);
    expect(recorder.events[0]!.data).toBe('finally');
    expect(recorder.opens).toBe(1);
  });

  it('stops after a drop when reconnect is off, and done resolves', async () => {
    const listener = await listen((_request, response) => {
      response.writeHead(200, sseHead);
      response.end('data: only\n\n');
    });
    const recorder = new Recorder();
    const connection = track(connectSse(listener.url, { ...recorder.options, reconnect: false }), listener);
    await connection.done;
    expect(recorder.events.map((event) => event.data)).toEqual(['only']);
    expect(listener.requests).toHaveLength(1);
  });

  it('close() ends an open stream without reporting an error', async () => {
    const listener = await listen((_request, response) => {
      response.writeHead(200, sseHead);
      response.write('data: open\n\n');
    });
    const recorder = new Recorder();
    const connection = track(connectSse(listener.url, recorder.options), listener);
    await recorder.until(() => recorder.events.length === 1, 'the first event');
    connection.close();
    await connection.done;
    expect(recorder.errors).toEqual([]);
    expect(listener.requests).toHaveLength(1);
  });

  it('an abort signal stops it too', async () => {
    const listener = await listen((_request, response) => {
      response.writeHead(200, sseHead);
      response.write(': nothing yet\n\n');
    });
    const recorder = new Recorder();
    const abort = new AbortController();
    const connection = track(connectSse(listener.url, { ...recorder.options, signal: abort.signal }), listener);
    await recorder.until(() => recorder.opens === 1, 'the connection');
    abort.abort();
    await connection.done;
    expect(recorder.errors).toEqual([]);
  });

  it('abandons a stream that stays silent past idleTimeoutMs and reconnects', async () => {
    const listener = await listen((_request, response, index) => {
      response.writeHead(200, sseHead);
      if (index === 0) response.write('id: 9\ndata: then silence\n\n');
      else response.write('data: after reconnect\n\n');
    });
    const recorder = new Recorder();
    track(connectSse(listener.url, { ...recorder.options, idleTimeoutMs: 500, reconnect: { initialDelayMs: 5 } }), listener);
    await recorder.until(() => recorder.events.length === 2, 'the event after the idle reconnect');
    expect(recorder.errors[0]?.message).toBe('event stream idle for 500 ms');
    expect(listener.requests[1]!.headers['last-event-id']).toBe('9');
  });
});
