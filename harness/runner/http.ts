/**
 * The evidence-recording fetch every check uses: each exchange is captured redacted (headers,
 * bodies) with its timing, and every request has a deadline so a hanging target cannot stall a
 * run.
 */
import type { Fetcher } from '../oauth/client.ts';
import type { Exchange } from './model.ts';
import type { Redactor } from './redactor.ts';

const maxBodyShown = 4096;

function headerRecord(headers: RequestInit['headers'] | Headers): Record<string, string> {
  return Object.fromEntries(new Headers(headers).entries());
}

function bodyText(body: RequestInit['body']): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  return `[${typeof body} body]`;
}

export function recordingFetch(options: {
  redactor: Redactor;
  timeoutMs: number;
  record: (exchange: Exchange) => void;
}): Fetcher {
  const { redactor } = options;
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
    try {
      const signal = init.signal
        ? AbortSignal.any([init.signal, AbortSignal.timeout(options.timeoutMs)])
        : AbortSignal.timeout(options.timeoutMs);
      const response = await fetch(url, { ...init, signal });
      const text = await response.text();
      const responseHeaders = headerRecord(response.headers);
      exchange.response = {
        status: response.status,
        headers: redactor.headers(responseHeaders),
        body: redactor.body(text.length > maxBodyShown ? text.slice(0, maxBodyShown) : text, responseHeaders['content-type']),
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      };
      options.record(exchange);
      // The caller still needs the body: hand back a fresh response over the text already read.
      const nullBody = [101, 103, 204, 205, 304].includes(response.status);
      return new Response(nullBody ? null : text, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      exchange.error =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${options.timeoutMs} ms`
          : (cause ?? (error as Error).message);
      options.record(exchange);
      throw error;
    }
  };
}
