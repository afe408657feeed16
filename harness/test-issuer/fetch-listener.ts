/**
 * The attacker's web server: its URLs go into `jku` and `x5u` headers (S09). It records every
 * request it receives and answers the way an attacker would, with a JWKS or a certificate for
 * the attacker key, so a resource server that follows the URL would also accept the token.
 * A correct resource server never contacts it: any hit is a finding on its own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import type { AttackerKey } from './keys.ts';
import { type LogMark, type RecordedRequest, RequestLog } from './request-log.ts';

export interface FetchListener {
  /** Base URL, no trailing slash. */
  baseUrl: string;
  /** A URL on the listener; paths ending in `.pem` are answered with the attacker certificate, others with a JWKS. */
  url(path: string): string;
  hits(): RecordedRequest[];
  hitsSince(mark: LogMark): RecordedRequest[];
  mark(): LogMark;
  log: RequestLog;
  close(): Promise<void>;
}

export interface FetchListenerOptions {
  host: string;
  port?: number;
  attacker: AttackerKey;
  /**
   * The kids the attacker JWKS also lists the attacker key under (the trusted kids, read at each
   * request): a server that takes the key set from `jku` but the kid from its own trust list
   * still ends up with the attacker's key.
   */
  impersonatedKids?: () => string[];
}

export async function startFetchListener(options: FetchListenerOptions): Promise<FetchListener> {
  const log = new RequestLog();
  const { attacker } = options;
  const attackerJwks = (): { keys: JWK[] } => {
    const kids = [attacker.kid, ...(options.impersonatedKids?.() ?? [])];
    return { keys: kids.map((kid) => ({ ...attacker.publicJwk, kid })) };
  };
  const server: Server = createServer((request, response) => {
    log.record(request);
    // The body is never needed; draining it lets keep-alive connections carry on.
    request.resume();
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const [type, body] = path.endsWith('.pem')
      ? ['application/pem-certificate-chain', attacker.certificatePem]
      : ['application/json', JSON.stringify(attackerJwks())];
    response.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const baseUrl = `http://${host}:${port}`;
  return {
    baseUrl,
    url: (path) => `${baseUrl}${path.startsWith('/') ? path : `/${path}`}`,
    hits: () => log.all(),
    hitsSince: (mark) => log.since(mark),
    mark: () => log.mark(),
    log,
    close: () => closeServer(server),
  };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
