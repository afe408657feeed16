/**
 * The toxiproxy server the chaos phase puts between a resource server and the issuer it trusts
 * (DESIGN.md "Faults"): started by the harness on a free loopback port (a launched process, so a
 * Ctrl-C or a crash takes it and every proxy and toxic in it down with the run), or an existing
 * server given by URL (docker-compose's), where the harness creates its own proxies under a
 * run-specific prefix and deletes them again in a finally and on Ctrl-C.
 *
 * A link can also be adopted (`adoptLink`): a proxy the target already routes through (the
 * compose stack's `jwks`, a containers run's `test-jwks`). The harness never creates or deletes
 * one; it only flips faults on it, and reset(), stop() and Ctrl-C leave it as it was found:
 * enabled, without toxics.
 *
 * toxiproxy is a TCP proxy: on an https upstream a toxic cuts or slows TLS records, so a
 * truncated JWKS shows up as a TLS error, not as a cut-off body (see README.md).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
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
  /** The toxiproxy proxy's own name (prefixed per run; an adopted proxy's as the server has it). */
  proxyName: string;
  /** Where the client connects instead of the upstream (http://127.0.0.1:<port> for a link the harness made). */
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
  /**
   * Takes an existing proxy as a link (never created or deleted by the harness): exit 3 when the
   * server has no such proxy, or when it is disabled or holds toxics (a game day starts healthy).
   */
  adoptLink(name: string, proxyName: string, options?: AdoptOptions): Promise<FaultLink>;
  /** The toxiproxy proxy behind a link (fresh from the server). */
  proxy(link: FaultLink): Promise<ToxiproxyProxy>;
  /** The link's proxy as the server reports it, with its toxics (the client's Proxy drops those). */
  state(link: FaultLink): Promise<ProxyState>;
  /** Every toxic removed and every proxy of this run enabled again. */
  reset(): Promise<void>;
  /** reset(), then the run's own proxies deleted (external server; adopted ones stay) or the server stopped (owned). */
  stop(): Promise<void>;
}

export interface AdoptOptions {
  /** Where the client connects (for the report); default: the proxy's listen address as toxiproxy has it. */
  listenOrigin?: string;
  /** The upstream's origin as the client would name it; default: the proxy's upstream as toxiproxy has it. */
  upstreamOrigin?: string;
  /** What to do when the proxy is missing or not healthy (default: create it, or name one the server has). */
  fix?: string;
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
  /** What to do when the server at `url` does not answer (default: start it, or leave out --toxiproxy). */
  unreachableFix?: string;
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

/** `target` with `from`'s origin replaced by `to` (path and query kept); any other URL unchanged. */
function rewriteOrigin(target: string, from: string, to: string): string {
  const parsed = new URL(target);
  if (parsed.origin !== from) return target;
  return new URL(`${parsed.pathname}${parsed.search}`, to).toString();
}

/** Whether something accepts TCP connections at host:port within timeoutMs. */
function accepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/**
 * For Ctrl-C: the run exits right after the signal handlers, so the clean-up cannot wait for
 * promises. A child Node process makes the calls while this one blocks on it (bounded): the
 * run's own proxies deleted, the adopted ones enabled and cleared of toxics.
 */
function restoreSync(url: string, created: string[], adopted: string[]): void {
  const script = `
const [url, created, adopted] = JSON.parse(process.argv[1]);
const call = (path, init) => fetch(url + path, { ...init, signal: AbortSignal.timeout(2000) }).catch(() => undefined);
for (const name of created) await call('/proxies/' + encodeURIComponent(name), { method: 'DELETE' });
for (const name of adopted) {
  const answer = await call('/proxies/' + encodeURIComponent(name));
  const proxy = answer?.ok ? await answer.json() : { toxics: [] };
  for (const toxic of proxy.toxics ?? [])
    await call('/proxies/' + encodeURIComponent(name) + '/toxics/' + encodeURIComponent(toxic.name), { method: 'DELETE' });
  await call('/proxies/' + encodeURIComponent(name), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enabled: true }) });
}`;
  spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify([url, created, adopted])], {
    stdio: 'ignore',
    timeout: 10_000,
  });
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
      options.unreachableFix ?? 'start it, or leave out --toxiproxy so the harness starts its own',
    );
  }
  // A prefix per run, so an external server shared with people or other runs is never touched beyond our proxies.
  const prefix = `tokenproof-${randomBytes(3).toString('hex')}-`;
  const links = new Map<string, FaultLink>();
  /** Proxy names of the adopted links: never deleted, only restored. */
  const adopted = new Set<string>();
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
      // An https upstream keeps its scheme: the client still speaks TLS, through the TCP proxy.
      const clientOrigin = upstream.protocol === 'https:' ? `https://127.0.0.1:${port}` : listenOrigin;
      const link: FaultLink = {
        name,
        proxyName,
        listenOrigin,
        upstreamOrigin,
        tls: upstream.protocol === 'https:',
        proxied: (target) => rewriteOrigin(target, upstreamOrigin, clientOrigin),
      };
      links.set(name, link);
      // A server in a container listens on its own loopback, which nobody else reaches: say so
      // now rather than as a game day whose faults cut nothing.
      if (!launched && !(await accepts('127.0.0.1', port, 2000)))
        throw new EnvironmentError(
          `toxiproxy at ${url} made the ${name} proxy on 127.0.0.1:${port}, and nothing answers there (a toxiproxy in a container listens on its own loopback)`,
          `name a proxy it already has for the ${name} link in the profile's chaos.toxiproxy.links (harness/faults/README.md), or use a toxiproxy on this host`,
        );
      return link;
    },
    async adoptLink(name, proxyName, adoptOptions = {}) {
      const existing = links.get(name);
      if (existing) return existing;
      const fix = adoptOptions.fix ?? `create the proxy ${proxyName} on ${url}, or name one it has`;
      const proxies = (await client.getApi().get(`${url}/proxies`)).data as Record<
        string,
        ProxyState & { listen: string; upstream: string }
      >;
      const proxy = proxies[proxyName];
      if (!proxy)
        throw new EnvironmentError(
          `toxiproxy at ${url} has no proxy ${proxyName} for the ${name} link (it has: ${Object.keys(proxies).join(', ') || 'none'})`,
          fix,
        );
      const toxics = proxy.toxics ?? [];
      if (!proxy.enabled || toxics.length > 0)
        throw new EnvironmentError(
          `the ${proxyName} proxy of toxiproxy at ${url} is ${proxy.enabled ? `faulted (toxics: ${toxics.map((toxic) => toxic.name).join(', ')})` : 'disabled'}: a game day starts from a healthy link`,
          `clear it first (\`curl -X POST ${url}/reset\` enables every proxy and removes every toxic), then rerun`,
        );
      const listenOrigin = adoptOptions.listenOrigin ?? `http://${proxy.listen}`;
      const upstreamOrigin = adoptOptions.upstreamOrigin ?? `http://${proxy.upstream}`;
      const link: FaultLink = {
        name,
        proxyName,
        listenOrigin,
        upstreamOrigin,
        tls: upstreamOrigin.startsWith('https:'),
        proxied: (target) => rewriteOrigin(target, upstreamOrigin, listenOrigin),
      };
      links.set(name, link);
      adopted.add(proxyName);
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
        if (!launched)
          for (const link of links.values()) if (!adopted.has(link.proxyName)) await (await client.get(link.proxyName)).remove();
      } finally {
        uninstall();
        await launched?.stop();
      }
    },
  };
  // On Ctrl-C the run exits without reaching its finally blocks: an external server gets its
  // proxies deleted and the adopted ones restored here (an owned one goes down with the launched processes).
  const onInterrupt = () => {
    if (launched || links.size === 0) return;
    const names = [...links.values()].map((link) => link.proxyName);
    restoreSync(
      url,
      names.filter((name) => !adopted.has(name)),
      names.filter((name) => adopted.has(name)),
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
