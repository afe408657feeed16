/**
 * The containers environment's k6 (DESIGN.md "Environments": k6 runs as a container like the
 * issuer, the RSes and toxiproxy): the k6 image chooseImages picked, on the run's network, with
 * the run's labels so stop(), Ctrl-C and the orphan sweep remove it (run-resources.ts). The
 * runner itself is harness/load/k6-container.ts; this file knows the stack.
 *
 * Where k6 must connect is read from the engine, not from a list kept by hand: every container
 * of the run (by its label) and every port it publishes on 127.0.0.1, so a proxy or a resource
 * server added later (a game day's introspection RS, a published toxiproxy link) is reached on the
 * network as `http://<container name>:<container port>`.
 */
import { EnvironmentError } from '../../lib/errors.ts';
import type { K6Runner } from '../../load/k6.ts';
import { containerK6Runner } from '../../load/k6-container.ts';
import { runCommand } from '../../tools/command.ts';
import type { ChosenImage } from './image-choice.ts';
import { runLabel, runLabels } from './run-resources.ts';

interface InspectedContainer {
  Name?: string;
  NetworkSettings?: { Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> };
}

/** `docker inspect` output → published loopback origin → the same port on the network, by container name. */
export function publishedOrigins(inspected: readonly InspectedContainer[]): Record<string, string> {
  const origins: Record<string, string> = {};
  for (const container of inspected) {
    const name = container.Name?.replace(/^\//, '');
    if (!name) continue;
    for (const [port, bindings] of Object.entries(container.NetworkSettings?.Ports ?? {})) {
      const [containerPort, protocol] = port.split('/');
      if (protocol !== 'tcp') continue;
      for (const binding of bindings ?? [])
        if (binding.HostPort && (binding.HostIp === '127.0.0.1' || binding.HostIp === '' || binding.HostIp === '0.0.0.0'))
          origins[`http://127.0.0.1:${binding.HostPort}`] = `http://${name}:${containerPort}`;
    }
  }
  return origins;
}

/** The published origins of every running container of a run. */
export async function runOrigins(runId: string): Promise<Record<string, string>> {
  const listed = await runCommand('docker', ['ps', '-q', '--filter', `label=${runLabel}=${runId}`], { timeoutMs: 20_000 });
  if (!listed.ok) throw new EnvironmentError(`docker ps failed: ${listed.stderr.trim()}`, 'check that the Docker engine answers');
  const ids = listed.stdout.split('\n').filter((line) => line.trim() !== '');
  if (ids.length === 0) return {};
  const inspected = await runCommand('docker', ['inspect', ...ids], { timeoutMs: 20_000 });
  // A container removed between the two calls makes inspect fail for it alone; the others still print.
  if (inspected.stdout.trim() === '')
    throw new EnvironmentError(`docker inspect failed: ${inspected.stderr.trim()}`, 'check that the Docker engine answers');
  return publishedOrigins(JSON.parse(inspected.stdout) as InspectedContainer[]);
}

export function containersK6Runner(stack: { id: string; network: { name: string }; images: { k6: ChosenImage } }): K6Runner {
  return containerK6Runner({
    image: { ref: stack.images.k6.ref, origin: stack.images.k6.origin },
    network: stack.network.name,
    labels: runLabels(stack.id),
    namePrefix: `tokenproof-${stack.id}`,
    origins: () => runOrigins(stack.id),
  });
}
