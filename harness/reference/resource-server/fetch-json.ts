/**
 * GETs and POSTs to the issuer (discovery, JWKS, introspection) with a deadline and a size
 * bound, so a hanging, slow or endless answer (toxiproxy timeout, slicer, limit_data) costs a
 * bounded wait and bounded memory, and never a crash.
 */
export class FetchError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'FetchError';
    this.status = status;
  }
}

export interface FetchJsonOptions {
  timeoutMs: number;
  maxBytes: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export async function fetchJson(url: string, options: FetchJsonOptions): Promise<unknown> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: { accept: 'application/json', ...options.headers },
      ...(options.body !== undefined && { body: options.body }),
      redirect: 'error',
      signal,
    });
  } catch (error) {
    throw new FetchError(`${describeUrl(url)} unreachable: ${reason(error)}`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new FetchError(`${describeUrl(url)} answered HTTP ${response.status}`, response.status);
  }
  const text = await readBounded(response, options.maxBytes, url);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new FetchError(`${describeUrl(url)} answered with invalid JSON`, response.status);
  }
}

async function readBounded(response: Response, maxBytes: number, url: string): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      // Throwing out of the loop cancels the stream.
      if (size > maxBytes) throw new FetchError(`${describeUrl(url)} answered more than ${maxBytes} bytes`, response.status);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof FetchError) throw error;
    throw new FetchError(`${describeUrl(url)} broke off its answer: ${reason(error)}`, response.status);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Origin and path only: a URL in a log line never carries a query (which could hold a secret). */
function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return 'the issuer';
  }
}

function reason(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timed out';
    const cause = (error as Error & { cause?: { code?: string } }).cause;
    return cause?.code ?? error.message;
  }
  return String(error);
}
