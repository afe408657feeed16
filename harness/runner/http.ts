/**
 * The evidence-recording fetch every check uses: each exchange is captured redacted (headers,
 * bodies) with its timing. No target can hang or exhaust the harness through it: one deadline
 * covers the whole exchange, body included (a server that drips one byte at a time is cut off),
 * and the body is read through a size cap (a 2 GB answer costs at most the cap in memory).
 */

import type { Redactor } from '../lib/redactor.ts';
import type { Fetcher } from '../oauth/client.ts';
import type { Exchange } from '../results/model.ts';

const maxBodyShown = 4096;
/** The default cap on a response body the harness reads: JSON documents and error bodies are far smaller. */
export const defaultMaxBodyBytes = 1024 * 1024;

/** A response body larger than the cap: the exchange is cut off, not read to the end. */
export class BodyTooLarge extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`the response body exceeds ${formatBytes(limit)} (cut off)`);
    this.name = 'BodyTooLarge';
    this.limit = limit;
  }
}

/** An HTTP status outside 200-599: no valid answer to hand to the caller. */
export class InvalidStatus extends Error {
  constructor(status: number) {
    super(`answered HTTP ${status}, which is not a valid status code`);
    this.name = 'InvalidStatus';
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

function headerRecord(headers: RequestInit['headers'] | Headers): Record<string, string> {
  return Object.fromEntries(new Headers(headers).entries());
}

function bodyText(body: RequestInit['body']): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  return `[${typeof body} body]`;
}

/** Reads a body as text, giving up (and cancelling the stream) past `limit` bytes. */
export async function readCapped(response: Response, limit: number, progress?: { bytes: number }): Promise<string> {
  if (!response.body) return '';
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body.cancel().catch(() => {});
    throw new BodyTooLarge(limit);
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (progress) progress.bytes = size;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A short reason for a fetch that produced no answer. */
export function fetchFailure(error: unknown, timeoutMs: number): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.cause?.code === 'UND_ERR_ABORTED') return `no complete answer within ${timeoutMs} ms`;
  if (err instanceof BodyTooLarge || err instanceof InvalidStatus) return err.message;
  const { code, message } = err.cause ?? {};
  if (code === 'ECONNRESET') return 'the connection was reset (ECONNRESET)';
  if (code && message && !message.includes(code)) return `${message} (${code})`;
  return message ?? code ?? err.message;
}

export function recordingFetch(options: {
  redactor: Redactor;
  timeoutMs: number;
  maxBodyBytes?: number;
  record: (exchange: Exchange) => void;
}): Fetcher {
  const { redactor } = options;
  const limit = options.maxBodyBytes ?? defaultMaxBodyBytes;
  return async (url, init = {}) => {
    const method = init.method ?? 'GET';
    const requestHeaders = headerRecord(init.headers);
    const requestBody = bodyText(init.body);
    const exchange: Exchange = {
      request: {
        method,
        url: redactor.scrub(String(url)),
        headers: redactor.headers(requestHeaders),
        ...(requestBody !== undefined && { body: redactor.body(requestBody, requestHeaders['content-type']) }),
      },
    };
    const started = performance.now();
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
    const progress = { bytes: 0 };
    let head: { status: number; headers: Record<string, string> } | undefined;
    try {
      const response = await fetch(url, { ...init, signal });
      const responseHeaders = headerRecord(response.headers);
      head = { status: response.status, headers: redactor.headers(responseHeaders) };
      // The same signal aborts the body stream: the deadline covers headers and body alike.
      const text = await readCapped(response, limit, progress);
      exchange.response = {
        ...head,
        body: redactor.body(text.length > maxBodyShown ? text.slice(0, maxBodyShown) : text, responseHeaders['content-type']),
        durationMs: elapsed(),
      };
      // A status fetch accepts but a Response cannot carry (600-999) is the server's error, said plainly.
      if (response.status < 200 || response.status > 599) throw new InvalidStatus(response.status);
      options.record(exchange);
      // The caller still needs the body: hand back a fresh response over the text already read.
      const nullBody = [204, 205, 304].includes(response.status);
      return new Response(nullBody ? null : text, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } catch (error) {
      exchange.error = deadline.aborted
        ? `no complete answer within ${options.timeoutMs} ms`
        : fetchFailure(error, options.timeoutMs);
      // Headers that came before the body broke down are evidence too (a drip, a huge body).
      if (head && !exchange.response)
        exchange.response = { ...head, body: `[cut off after ${progress.bytes} bytes of body]`, durationMs: elapsed() };
      options.record(exchange);
      // The caller's own abort (the check ran out of time) stays what it is; anything else becomes
      // an error that says what happened (ECONNRESET, not undici's "fetch failed"), cause kept.
      if (init.signal?.aborted || error instanceof BodyTooLarge || error instanceof InvalidStatus) throw error;
      throw new Error(exchange.error, { cause: (error as { cause?: unknown }).cause ?? error });
    }
  };
}
