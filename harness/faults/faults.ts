/**
 * Named, reversible faults (DESIGN.md "Faults", STYLE.md "faults are named, reversible operations
 * with explicit start and end"): each one is applied to a link and returns the handle that
 * removes it. The chaos phase removes every active fault in a finally, and toxiproxy is reset
 * after the timeline, so an interrupted game day leaves nothing behind.
 */
import type { Toxic } from 'toxiproxy-node-client';
import type { FaultLink, ToxiproxyServer } from './toxiproxy.ts';

export type Stream = 'upstream' | 'downstream';

interface ToxicOptions {
  /** Which direction the toxic acts on: downstream = the upstream's answers (a JWKS body). */
  stream?: Stream;
  /** Share of connections it applies to, 0..1 (toxiproxy decides per connection). */
  toxicity?: number;
}

export type NetworkFault =
  /** The proxy is disabled: connections are refused, as when the IdP is down. */
  | { kind: 'idp-outage' }
  /** `timeout` toxic with timeout 0: connections are accepted and nothing ever comes back. */
  | ({ kind: 'idp-hang' } & ToxicOptions)
  | ({ kind: 'latency'; latencyMs: number; jitterMs?: number } & ToxicOptions)
  /** `reset_peer`: the connection is reset (TCP RST) after timeoutMs. */
  | ({ kind: 'reset-peer'; timeoutMs?: number } & ToxicOptions)
  /** `limit_data`: the connection is closed after `bytes` (a cut-off JWKS). */
  | ({ kind: 'truncate'; bytes: number } & ToxicOptions)
  | ({ kind: 'bandwidth'; kilobytesPerSecond: number } & ToxicOptions)
  /** `slicer`: the data arrives in small pieces with a delay between them. */
  | ({ kind: 'slicer'; averageSize: number; sizeVariation?: number; delayMicroseconds?: number } & ToxicOptions);

export type NetworkFaultKind = NetworkFault['kind'];
export const networkFaultKinds = ['idp-outage', 'idp-hang', 'latency', 'reset-peer', 'truncate', 'bandwidth', 'slicer'] as const;

export interface ActiveFault {
  /** What the report's timeline calls it: `latency 500ms on introspection`. */
  label: string;
  remove(): Promise<void>;
}

/** The toxiproxy toxic for a fault (everything but the outage, which disables the proxy). */
export function toxicFor(fault: Exclude<NetworkFault, { kind: 'idp-outage' }>): {
  type: Toxic<unknown>['type'];
  attributes: Record<string, number>;
  stream: Stream;
  toxicity: number;
} {
  // A hang holds the request back (upstream), so the upstream never answers or closes; the others
  // act on the answers (a JWKS body) unless the game day says otherwise.
  const stream = fault.stream ?? (fault.kind === 'idp-hang' ? 'upstream' : 'downstream');
  const toxicity = fault.toxicity ?? 1;
  switch (fault.kind) {
    case 'idp-hang':
      return { type: 'timeout', attributes: { timeout: 0 }, stream, toxicity };
    case 'latency':
      return { type: 'latency', attributes: { latency: fault.latencyMs, jitter: fault.jitterMs ?? 0 }, stream, toxicity };
    case 'reset-peer':
      return { type: 'reset_peer', attributes: { timeout: fault.timeoutMs ?? 0 }, stream, toxicity };
    case 'truncate':
      return { type: 'limit_data', attributes: { bytes: fault.bytes }, stream, toxicity };
    case 'bandwidth':
      return { type: 'bandwidth', attributes: { rate: fault.kilobytesPerSecond }, stream, toxicity };
    case 'slicer':
      return {
        type: 'slicer',
        attributes: {
          average_size: fault.averageSize,
          size_variation: fault.sizeVariation ?? 0,
          delay: fault.delayMicroseconds ?? 10_000,
        },
        stream,
        toxicity,
      };
  }
}

export function describeNetworkFault(fault: NetworkFault): string {
  switch (fault.kind) {
    case 'idp-outage':
      return 'outage';
    case 'idp-hang':
      return 'hang';
    case 'latency':
      return `latency ${fault.latencyMs} ms${fault.jitterMs ? ` ± ${fault.jitterMs} ms` : ''}`;
    case 'reset-peer':
      return 'reset peer';
    case 'truncate':
      return `truncated after ${fault.bytes} B`;
    case 'bandwidth':
      return `bandwidth ${fault.kilobytesPerSecond} KB/s`;
    case 'slicer':
      return `sliced into ~${fault.averageSize} B pieces`;
  }
}

let toxicCounter = 0;

/** Applies `fault` to `link`; the handle's remove() undoes exactly this fault. */
export async function applyNetworkFault(server: ToxiproxyServer, link: FaultLink, fault: NetworkFault): Promise<ActiveFault> {
  const label = `${describeNetworkFault(fault)} on ${link.name}`;
  const proxy = await server.proxy(link);
  if (fault.kind === 'idp-outage') {
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    return {
      label,
      async remove() {
        const current = await server.proxy(link);
        await current.update({ enabled: true, listen: current.listen, upstream: current.upstream });
      },
    };
  }
  const toxic = toxicFor(fault);
  const name = `${fault.kind}-${++toxicCounter}`;
  const created = await proxy.addToxic({ name, ...toxic });
  return { label, remove: () => created.remove() };
}
