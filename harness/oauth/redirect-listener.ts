/**
 * The harness's loopback redirect listener (RFC 8252 §7.3): the OAuth client's redirect_uri,
 * where the browser lands with the authorization response. It binds the host and port the
 * redirect URI names (that URI is what the issuer has registered, so it cannot be a port of our
 * choosing), answers every request with a short page, and hands over the first request on the
 * redirect path. A port already in use is a clear error naming it, not a hang.
 */
import { createServer, type Server } from 'node:http';

export class RedirectListenerError extends Error {}

export interface RedirectListener {
  redirectUri: string;
  /** The authorization response: the first request that arrived on the redirect path. */
  callback: Promise<URL>;
  /** Whether a callback has arrived (without waiting for it). */
  received(): URL | undefined;
  close(): Promise<void>;
}

const loopbackHosts = new Set(['127.0.0.1', '[::1]', 'localhost']);

export async function listenForRedirect(redirectUri: string): Promise<RedirectListener> {
  const target = new URL(redirectUri);
  if (target.protocol !== 'http:' || !loopbackHosts.has(target.hostname)) {
    throw new RedirectListenerError(
      `redirect URI ${redirectUri} is not a loopback http URL: the harness can only receive callbacks on http://127.0.0.1:<port>/… (RFC 8252 §7.3)`,
    );
  }
  const port = Number(target.port || 80);
  const host = target.hostname === '[::1]' ? '::1' : target.hostname === 'localhost' ? '127.0.0.1' : target.hostname;
  let arrived: URL | undefined;
  let deliver: (url: URL) => void = () => {};
  const callback = new Promise<URL>((resolve) => {
    deliver = resolve;
  });
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', target.origin);
    if (url.pathname === target.pathname && !arrived) {
      arrived = url;
      deliver(url);
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end('<!doctype html><title>tokenproof</title><p>Authorization response received by tokenproof.</p>');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new RedirectListenerError(
          error.code === 'EADDRINUSE'
            ? `cannot receive the login callback: port ${port} of redirect URI ${redirectUri} is in use by another process (free it, or register and configure another loopback redirect URI)`
            : `cannot listen on ${redirectUri}: ${error.message}`,
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  return {
    redirectUri,
    callback,
    received: () => arrived,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
