/**
 * Hostile targets on loopback, real HTTP servers that misbehave the ways a broken or malicious
 * issuer can: accept the connection and never answer, drip the answer one byte at a time, send
 * an endless (2 GB) body, answer garbage, or reset the connection. The harness must survive each
 * in bounded time and memory and say what happened; these servers count what they were asked
 * (a failed lookup must be asked once, not once per check) and how much they sent.
 *
 * By default the issuer root `/` answers 404 like a real issuer (so the run's reachability
 * preflight passes and the checks meet the hostility); `everywhere: true` makes the root hostile
 * too (the target then looks unreachable before any check runs).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { wellKnown } from '../../harness/oauth/well-known.ts';

export type Hostility = 'hang' | 'drip' | 'huge' | 'invalid-json' | 'reset';

export interface HostileServerOptions {
  /** Also misbehave on the root path the preflight asks. */
  everywhere?: boolean;
  /**
   * Misbehave only on these paths (e.g. ['/jwks']); the well-known paths then serve a plausible
   * discovery document pointing at this server, and anything else is 404.
   */
  only?: string[];
  /** Pause between the bytes of a dripped answer (default 500 ms). */
  dripIntervalMs?: number;
  /** Size of the endless body (default 2 GB); it is generated as it is sent, never held. */
  hugeBytes?: number;
}

export interface HostileServer {
  url: string;
  hostility: Hostility;
  /** Requests received, all paths or one path. */
  requests(path?: string): number;
  /** Body bytes written to clients so far (the huge and drip answers). */
  bytesSent(): number;
  close(): Promise<void>;
}

const twoGigabytes = 2 * 1024 * 1024 * 1024;
const chunk = Buffer.alloc(64 * 1024, 'a');

/** A plausible discovery document, so that only the hostility is wrong with it. */
function discoveryDocument(issuer: string): string {
  return JSON.stringify({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  });
}

export async function startHostileServer(hostility: Hostility, options: HostileServerOptions = {}): Promise<HostileServer> {
  const seen = new Map<string, number>();
  let sent = 0;
  const timers = new Set<NodeJS.Timeout>();
  let url = '';

  const drip = (res: ServerResponse, body: Buffer) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
    let offset = 0;
    const timer = setInterval(() => {
      if (offset >= body.length || res.destroyed) {
        clearInterval(timer);
        timers.delete(timer);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(body.subarray(offset, offset + 1));
      offset++;
      sent++;
    }, options.dripIntervalMs ?? 500);
    timers.add(timer);
    res.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
    });
  };

  // Chunked, no content-length: the client cannot refuse it up front, it has to stop reading.
  const huge = (res: ServerResponse) => {
    const total = options.hugeBytes ?? twoGigabytes;
    res.writeHead(200, { 'content-type': 'application/json' });
    const prefix = Buffer.from(`{"issuer":${JSON.stringify(url)},"padding":"`);
    res.write(prefix);
    sent += prefix.length;
    let remaining = total - prefix.length;
    const pump = () => {
      while (remaining > 0 && !res.destroyed) {
        const piece = remaining >= chunk.length ? chunk : chunk.subarray(0, remaining);
        remaining -= piece.length;
        sent += piece.length;
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end('"}');
    };
    pump();
  };

  const answer = (req: IncomingMessage, res: ServerResponse) => {
    switch (hostility) {
      case 'hang':
        return; // accepted, read, never answered
      case 'drip':
        return drip(res, Buffer.from(discoveryDocument(url)));
      case 'huge':
        return huge(res);
      case 'invalid-json':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"issuer": [[[[[[');
        return;
      case 'reset':
        req.socket.resetAndDestroy();
        return;
    }
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    seen.set(path, (seen.get(path) ?? 0) + 1);
    if (options.only && !options.only.includes(path)) {
      if (path === wellKnown.openid || path === wellKnown.oauth)
        res.writeHead(200, { 'content-type': 'application/json' }).end(discoveryDocument(url));
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (path === '/' && !options.everywhere) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    answer(req, res);
  });
  // A hung request must stay hung for as long as the client is willing to wait.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  return {
    url,
    hostility,
    requests: (path) => (path === undefined ? [...seen.values()].reduce((sum, count) => sum + count, 0) : (seen.get(path) ?? 0)),
    bytesSent: () => sent,
    async close() {
      for (const timer of timers) clearInterval(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
