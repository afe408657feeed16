/**
 * Which image each container of the containers environment runs. toxiproxy and k6 have public
 * images (ghcr.io/shopify/toxiproxy, grafana/k6, same pinned versions as .tools/bin); the
 * reference servers are tokenproof's own code, always `tokenproof/reference`, whose base is a
 * public Node LTS image or the locally imported node-base (`tokenproof setup --containers`).
 *
 * The environment never pulls on its own initiative: whether a registry is reachable cannot be
 * known without trying one, and a run must not send traffic anywhere but 127.0.0.1 and its own
 * containers. So `auto` (the default) takes the public image when it is on this machine (a user
 * with a registry pulled it, or TOKENPROOF_IMAGES=public let the engine pull it), else the locally
 * built one, and says which; `public` lets the engine pull the public tag; `local` insists on the
 * locally built ones.
 */
import { EnvironmentError, UsageError } from '../../lib/errors.ts';
import { runCommand } from '../../tools/command.ts';
import { goTools } from '../../tools/versions.ts';
import { ensureReferenceImage, imageRefs, packageVersion } from './images.ts';

export type ImageSource = 'auto' | 'public' | 'local';
export const imageSources: readonly ImageSource[] = ['auto', 'public', 'local'];

export interface ChosenImage {
  role: 'reference' | 'toxiproxy' | 'k6';
  ref: string;
  origin: 'public' | 'local';
}

export interface ChosenImages {
  reference: ChosenImage;
  toxiproxy: ChosenImage;
  k6: ChosenImage;
}

const setupFix = 'run `tokenproof setup --containers` (it builds the images from local binaries, no registry needed)';

export function publicImageRefs(): { toxiproxy: string; k6: string } {
  const pin = (version: string) => version.replace(/^v/, '');
  return {
    toxiproxy: `ghcr.io/shopify/toxiproxy:${pin(goTools.toxiproxy.version)}`,
    k6: `grafana/k6:${pin(goTools.k6.version)}`,
  };
}

export function imageSourceFrom(value: string | undefined): ImageSource {
  const source = (value ?? 'auto') as ImageSource;
  if (!imageSources.includes(source))
    throw new UsageError(`TOKENPROOF_IMAGES is ${value}; use one of ${imageSources.join(', ')}`);
  return source;
}

export async function imagePresent(ref: string): Promise<boolean> {
  return (await runCommand('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { timeoutMs: 30_000 })).ok;
}

export async function chooseImages(options: { source?: ImageSource; log?: (line: string) => void } = {}): Promise<ChosenImages> {
  const source = options.source ?? imageSourceFrom(process.env['TOKENPROOF_IMAGES']);
  const local = imageRefs(await packageVersion());
  const published = publicImageRefs();
  // Built from this checkout's sources (rebuilt when they changed): there is no public image of it.
  await ensureReferenceImage({ ...(options.log && { log: options.log }) });
  const pick = async (role: 'toxiproxy' | 'k6'): Promise<ChosenImage> => {
    if (source === 'public') return { role, ref: published[role], origin: 'public' };
    if (source === 'auto' && (await imagePresent(published[role]))) return { role, ref: published[role], origin: 'public' };
    if (await imagePresent(local[role])) return { role, ref: local[role], origin: 'local' };
    throw new EnvironmentError(
      `neither ${published[role]} nor the locally built ${local[role]} is on this machine`,
      `${setupFix}, or \`docker pull ${published[role]}\` where a registry is reachable`,
    );
  };
  return {
    reference: { role: 'reference', ref: local.reference, origin: 'local' },
    toxiproxy: await pick('toxiproxy'),
    k6: await pick('k6'),
  };
}

export function describeImages(images: ChosenImages): string {
  return Object.values(images)
    .map((image) => `${image.role} ${image.ref} (${image.origin === 'public' ? 'public image' : 'built locally'})`)
    .join(', ');
}
