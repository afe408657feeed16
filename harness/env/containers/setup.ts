/**
 * `tokenproof setup --containers`: everything the containers environment and
 * docker-compose.yml need on this machine — a Docker engine that answers (started here when
 * we are root and none runs), Compose, and the images built from local binaries.
 */
import { performance } from 'node:perf_hooks';
import { type Compose, type Engine, ensureDockerCompose, ensureDockerEngine } from './docker.ts';
import { buildBaseImages, formatBytes, type ImageReport } from './images.ts';

export interface ContainersSetupReport {
  engine: Engine;
  compose: Compose;
  images: ImageReport[];
  durationMs: number;
}

export async function setupContainers(options: { log?: (line: string) => void } = {}): Promise<ContainersSetupReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const engine = await ensureDockerEngine({ log });
  const compose = await ensureDockerCompose({ log });
  const images = await buildBaseImages({ log });
  if (images.every((image) => image.action === 'present')) {
    log(`container images ready: ${images.map((image) => `${image.ref} (${formatBytes(image.sizeBytes)})`).join(', ')}`);
  }
  return { engine, compose, images, durationMs: performance.now() - started };
}
