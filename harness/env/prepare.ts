/**
 * Turns a profile into a running target: launches what the profile asks the harness to start,
 * then makes sure the issuer and resource server answer at all. An unreachable target is an
 * environment error (exit 3) that names the URL and what to do.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { faketimeEnvironment } from '../faults/faketime.ts';
import { EnvironmentError } from '../lib/errors.ts';
import type { Redactor } from '../lib/redactor.ts';
import type { LaunchSpec, Profile } from '../profile/schema.ts';
import { fillPlaceholders, type LaunchedProcess, launch } from './launch.ts';

export async function launchProfileTargets(
  profile: Profile,
  options: {
    baseDir: string;
    workDir: string;
    placeholders: Record<string, string>;
    log?: (line: string) => void;
    /** A chaos run: the block's process runs under libfaketime, its offset in this file (harness/faults/faketime.ts). */
    faketime?: Partial<Record<'issuer' | 'resourceServer', string>>;
  },
): Promise<LaunchedProcess[]> {
  const started: LaunchedProcess[] = [];
  const blocks: [string, LaunchSpec | undefined][] = [
    ['issuer', profile.issuer?.launch],
    ['resourceServer', profile.resourceServer?.launch],
  ];
  mkdirSync(options.workDir, { recursive: true });
  try {
    for (const [name, spec] of blocks) {
      if (!spec) continue;
      const where = `${name}.launch`;
      options.log?.(`starting ${name}: ${spec.command.join(' ')}`);
      const env = Object.fromEntries(
        Object.entries(spec.env).map(([key, value]) => [
          key,
          fillPlaceholders(value, options.placeholders, `${where}.env.${key}`),
        ]),
      );
      const offsetFile = options.faketime?.[name as 'issuer' | 'resourceServer'];
      if (offsetFile) {
        Object.assign(env, faketimeEnvironment(offsetFile, env['LD_PRELOAD'] ?? process.env['LD_PRELOAD']));
        options.log?.(`${name} runs under libfaketime (its clock can be skewed by a game day)`);
      }
      started.push(
        await launch({
          name,
          command: spec.command.map((part) => fillPlaceholders(part, options.placeholders, `${where}.command`)),
          env,
          cwd: resolve(options.baseDir, spec.cwd ?? '.'),
          ready: fillPlaceholders(spec.ready, options.placeholders, `${where}.ready`),
          readyTimeoutMs: spec.readyTimeout,
          logFile: join(options.workDir, `${name}.log`),
        }),
      );
    }
  } catch (error) {
    await Promise.all(started.map((process) => process.stop()));
    throw error;
  }
  return started;
}

/**
 * Any HTTP answer counts as reachable; only no answer at all is an environment error. The body is
 * never read, and the wait for the answer is bounded like every request the harness makes.
 */
export async function assertReachable(url: string, role: string, fix: string, timeoutMs = 5000): Promise<void> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await response.body?.cancel();
  } catch (error) {
    const name = (error as Error).name;
    const cause =
      name === 'TimeoutError'
        ? `no HTTP answer within ${timeoutMs} ms`
        : ((error as { cause?: { code?: string } }).cause?.code ?? name);
    throw new EnvironmentError(`the ${role} at ${url} is unreachable (${cause})`, fix);
  }
}

export async function preflight(profile: Profile): Promise<void> {
  const timeoutMs = profile.timeouts.request;
  if (profile.issuer) {
    await assertReachable(
      profile.issuer.url,
      'issuer',
      'start the issuer, fix issuer.url in the profile, or add issuer.launch so tokenproof starts it',
      timeoutMs,
    );
  }
  if (profile.resourceServer) {
    await assertReachable(
      profile.resourceServer.url,
      'resource server',
      'start the resource server, fix resourceServer.url, or add resourceServer.launch so tokenproof starts it',
      timeoutMs,
    );
  }
}

const credentialHeader = /authorization|token|key|secret|cookie|credential|password|session|auth/i;

/** Everything secret in a profile, so no report or log can show it whole. */
export function registerProfileSecrets(redactor: Redactor, profile: Profile): void {
  const clients = profile.issuer?.clients;
  for (const client of [clients?.primary, clients?.secondary]) redactor.register(client?.secret);
  for (const step of profile.issuer?.login?.steps ?? []) if ('value' in step) redactor.register(step.value);
  // Only credential-bearing headers: registering every value would also hide ordinary ones
  // (`content-type: application/json`) everywhere in the report.
  for (const [name, value] of Object.entries(profile.issuer?.admin?.rotateKeys?.headers ?? {})) {
    if (!credentialHeader.test(name)) continue;
    redactor.register(value);
    redactor.register(value.replace(/^\S+\s+/, ''));
  }
  for (const spec of [profile.issuer?.launch, profile.resourceServer?.launch]) {
    for (const [name, value] of Object.entries(spec?.env ?? {}))
      if (/secret|password|token|key|credential/i.test(name)) redactor.register(value);
  }
}
