/**
 * How the test issuer answers a JWKS request, switchable while a resource server is running:
 * the faults a JWKS endpoint shows in production (empty set, broken JSON, a body cut short,
 * a slow or hung server, an error status). Timers only: nothing blocks the event loop, so a
 * slow or hung JWKS never slows discovery or the fetch listener.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type JwksMode =
  | { kind: 'normal' }
  /** `{"keys":[]}`: a valid document with no keys. */
  | { kind: 'empty' }
  /** 200 application/json whose body is not JSON. */
  | { kind: 'malformed' }
  /** Announces the full Content-Length, sends half of the body, then cuts the connection. */
  | { kind: 'truncated' }
  /** Status and headers at once, the body after `delayMs`. */
  | { kind: 'slow'; delayMs: number }
  /** An error status (500 unless given) with a JSON error body. */
  | { kind: 'status'; status?: number }
  /** No answer at all until the mode changes (then answered in the new mode) or the issuer closes. */
  | { kind: 'hang' };

export interface JwksResponderOptions {
  /** The JWKS document as served in normal mode, read at each request. */
  body: () => string;
  /** Sent as Cache-Control on successful answers when set. */
  cacheControl?: string;
}

export class JwksResponder {
  private current: JwksMode = { kind: 'normal' };
  private readonly hung = new Set<ServerResponse>();
  private readonly delayed = new Map<ServerResponse, NodeJS.Timeout>();
  private readonly options: JwksResponderOptions;

  constructor(options: JwksResponderOptions) {
    this.options = options;
  }

  mode(): JwksMode {
    return this.current;
  }

  /** Switches the mode; requests held by `hang` are answered in the new mode. */
  setMode(mode: JwksMode): void {
    if (mode.kind === 'slow' && !(Number.isFinite(mode.delayMs) && mode.delayMs >= 0)) {
      throw new RangeError('slow mode needs a non-negative delayMs');
    }
    this.current = mode;
    if (mode.kind === 'hang') return;
    const held = [...this.hung];
    this.hung.clear();
    for (const response of held) if (!response.destroyed) this.answer(response, mode);
  }

  respond(_request: IncomingMessage, response: ServerResponse): void {
    this.answer(response, this.current);
  }

  /** Requests held or delayed right now (a hung RS fetch shows up here). */
  pending(): number {
    return this.hung.size + this.delayed.size;
  }

  /** Drops everything held or delayed; used when the issuer closes. */
  close(): void {
    for (const [response, timer] of this.delayed) {
      clearTimeout(timer);
      response.destroy();
    }
    this.delayed.clear();
    for (const response of this.hung) response.destroy();
    this.hung.clear();
  }

  private answer(response: ServerResponse, mode: JwksMode): void {
    const body = this.options.body();
    switch (mode.kind) {
      case 'normal':
        this.send(response, 200, body);
        return;
      case 'empty':
        this.send(response, 200, JSON.stringify({ keys: [] }));
        return;
      case 'malformed':
        // Starts like a JWKS so a parser gets past the first bytes, then stops being JSON.
        this.send(response, 200, `${body.slice(0, Math.max(1, body.length - 2))},]<html>`);
        return;
      case 'truncated': {
        const bytes = Buffer.from(body);
        response.writeHead(200, this.headers(bytes.length));
        response.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => response.destroy());
        return;
      }
      case 'slow': {
        const bytes = Buffer.from(body);
        response.writeHead(200, this.headers(bytes.length));
        response.flushHeaders();
        const timer = setTimeout(() => {
          this.delayed.delete(response);
          response.end(bytes);
        }, mode.delayMs);
        this.delayed.set(response, timer);
        response.once('close', () => {
          clearTimeout(timer);
          this.delayed.delete(response);
        });
        return;
      }
      case 'status': {
        const status = mode.status ?? 500;
        const text = JSON.stringify({ error: 'server_error', error_description: `test issuer JWKS mode: status ${status}` });
        response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        response.end(text);
        return;
      }
      case 'hang':
        this.hung.add(response);
        response.once('close', () => this.hung.delete(response));
        return;
    }
  }

  private send(response: ServerResponse, status: number, text: string): void {
    response.writeHead(status, this.headers(Buffer.byteLength(text)));
    response.end(text);
  }

  private headers(length: number): Record<string, string | number> {
    return {
      'content-type': 'application/json',
      'content-length': length,
      ...(this.options.cacheControl !== undefined && { 'cache-control': this.options.cacheControl }),
    };
  }
}
