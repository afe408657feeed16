/**
 * The toxiproxy server the chaos phase puts between a resource server and the issuer it trusts
 * (DESIGN.md "Faults"): started by the harness on a free loopback port (a launched process, so a
 * Ctrl-C or a crash takes it and every proxy and toxic in it down with the run), or an existing
 * server given by URL (docker-compose's), where the harness creates its own proxies under a
 * run-specific prefix and deletes them again in a finally and on Ctrl-C.
 *
 * toxiproxy is a TCP proxy: on an https upstream a toxic cuts or slows TLS records, so a
 * truncated JWKS shows up as a TLS error, not as a cut-off body (see README.md).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Toxiproxy, type Proxy as ToxiproxyProxy } from 'toxiproxy-node-client';
import { freePort } from '../env/free-port.ts';
import { type LaunchedProcess, launch } from '../env/launch.ts';
import { EnvironmentError } from '../lib/errors.ts';
import { requireTool } from '../tools/paths.ts';

/** One proxied connection from a client (the RS, the load) to an upstream (the issuer). */
export interface FaultLink {
  /** The link's name in game days: jwks, introspection, revocation-events, token. */
  name: string;
  /** The toxiproxy proxy's own name (prefixed per run). */
  proxyName: string;
  /** http://127.0.0.1:<listen port>: where the client connects instead of the upstream. */
  listenOrigin: string;
  /** The upstream's origin (scheme://host:port). */
  upstreamOrigin: string;
  /** True when the upstream is https: toxics then act on TLS records (see the module comment). */
  tls: boolean;
  /** `url` with the upstream origin replaced by the proxy's; other URLs unchanged. */
  proxied(url: string): string;
}

export interface ToxiproxyServer {
  /** The control API, http://127.0.0.1:<port>. */
  url: string;
  client: Toxiproxy;
  /** True when the harness started the server (and stops it). */
  owned: boolean;
  links: Map<string, FaultLink>;
  /** Creates the proxy for a link: listens on a free loopback port, forwards to `upstreamUrl`'s origin. */
  addLink(name: string, upstreamUrl: string): Promise<FaultLink>;
  /** The toxiproxy proxy behind a link (fresh from the server). */
  proxy(link: FaultLink): Promise<ToxiproxyProxy>;
  /** The link's proxy as the server reports it, with its toxics (the client's Proxy drops those). */
  state(link: FaultLink): Promise<ProxyState>;
  /** Every toxic removed and every proxy of this run enabled again. */
  reset(): Promise<void>;
  /** reset(), then the run's proxies deleted (external server) or the server stopped (owned). */
  stop(): Promise<void>;
}

export interface ProxyState {
  name: string;
  enabled: boolean;
  toxics: { name: string; type: string; stream: string; toxicity: number; attributes: Record<string, number> }[];
}

export interface ToxiproxyOptions {
  /** An existing toxiproxy's control URL; absent: start one. */
  url?: string;
  /** Where a started server writes its log. */
  logDir: string;
  log?: (line: string) => void;
}

function origin(url: string): URL {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new EnvironmentError(`cannot put toxiproxy in front of ${parsed.protocol} URL ${url}`, 'use an http(s) upstream');
  return parsed;
}

function defaultPort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

export async function startToxiproxy(options: ToxiproxyOptions): Promise<ToxiproxyServer> {
  let launched: LaunchedProcess | undefined;
  let url = options.url;
  if (!url) {
    const binary = await requireTool('toxiproxy');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    options.log?.(`chaos: starting toxiproxy on ${url}`);
    launched = await launch({
      name: 'toxiproxy',
      command: [binary, '-host', '127.0.0.1', '-port', String(port)],
      env: {},
      ready: `${url}/version`,
      readyTimeoutMs: 15_000,
      logFile: join(options.logDir, 'toxiproxy.log'),
    });
  }
  const client = new Toxiproxy(url);
  try {
    await client.getVersion();
  } catch (error) {
    await launched?.stop();
    throw new EnvironmentError(
      `toxiproxy at ${url} does not answer (${(error as Error).message})`,
      'start it, or leave out --toxiproxy so the harness starts its own',
    );
  }
  // A prefix per run, so an external server shared with people or other runs is never touched beyond our proxies.
  const prefix = `tokenproof-${randomBytes(3).toString('hex')}-`;
  const links = new Map<string, FaultLink>();
  const server: ToxiproxyServer = {
    url,
    client,
    owned: launched !== undefined,
    links,
    async addLink(name, upstreamUrl) {
      const existing = links.get(name);
      if (existing) return existing;
      const upstream = origin(upstreamUrl);
      const port = await freePort();
      const proxyName = `${prefix}${name}`;
      await client.createProxy({
        name: proxyName,
        listen: `127.0.0.1:${port}`,
        upstream: `${upstream.hostname}:${defaultPort(upstream)}`,
        enabled: true,
      });
      const listenOrigin = `http://127.0.0.1:${port}`;
      const upstreamOrigin = upstream.origin;
      const link: FaultLink = {
        name,
        proxyName,
        listenOrigin,
        upstreamOrigin,
        tls: upstream.protocol === 'https:',
        proxied(target: string) {
          const parsed = new URL(target);
          if (parsed.origin !== upstreamOrigin) return target;
          // An https upstream keeps its scheme: the client still speaks TLS, through the TCP proxy.
          const rewritten = new URL(
            `${parsed.pathname}${parsed.search}`,
            upstream.protocol === 'https:' ? `https://127.0.0.1:${port}` : listenOrigin,
          );
          return rewritten.toString();
        },
      };
      links.set(name, link);
      return link;
    },
    proxy: (link) => client.get(link.proxyName),
    async state(link) {
      const answer = await client.getApi().get(`${url}/proxies/${link.proxyName}`);
      return answer.data as ProxyState;
    },
    async reset() {
      // Our own server holds only our proxies: its reset is the whole answer.
      if (launched) return client.reset();
      for (const link of links.values()) {
        const { toxics } = await server.state(link);
        for (const toxic of toxics) await client.getApi().delete(`${url}/proxies/${link.proxyName}/toxics/${toxic.name}`);
        const proxy = await client.get(link.proxyName);
        if (!proxy.enabled) await proxy.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
      }
    },
    async stop() {
      try {
        await server.reset();
        if (!launched) for (const link of links.values()) await (await client.get(link.proxyName)).remove();
      } finally {
        uninstall();
        await launched?.stop();
      }
    },
  };
  // On Ctrl-C the run exits without reaching its finally blocks: an external server gets its
  // proxies deleted here (an owned one goes down with the launched processes).
  const onInterrupt = () => {
    if (launched) return;
    for (const link of links.values())
      void client.get(link.proxyName).then(
        (proxy) => proxy.remove(),
        () => undefined,
      );
  };
  const uninstall = () => {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  return server;
}
