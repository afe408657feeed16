/**
 * `tokenproof serve resource-server`: one reference resource server in the foreground until
 * Ctrl-C, in front of any issuer (`--issuer URL --audience AUD`), or configured by a YAML file
 * whose fields the flags override.
 */
import { formatPath } from '../config/yaml-file.ts';
import { UsageError } from '../lib/errors.ts';
import {
  loadResourceServerConfig,
  type ResourceServerConfigInput,
  resourceServerConfigSchema,
} from '../reference/resource-server/config.ts';
import { startResourceServer } from '../reference/resource-server/server.ts';
import { waitForSignal } from './serve.ts';

export interface ServeResourceServerOptions {
  issuer?: string;
  audience?: string;
  /** Space- or comma-separated scopes every protected route requires. */
  scope?: string;
  jwksUri?: string;
  port?: number;
  host?: string;
  config?: string;
}

/** Which flag sets which configuration field, to name the flag in an error. */
const flagOf: Record<string, string> = {
  issuer: '--issuer',
  audience: '--audience',
  requiredScope: '--scope',
  jwksUri: '--jwks-uri',
  port: '--port',
  host: '--host',
};

export async function serveResourceServer(options: ServeResourceServerOptions, print: (line: string) => void): Promise<void> {
  const rs = await startResourceServer(resolveConfig(options));
  const { config } = rs.context;
  print(`tokenproof reference resource server at ${rs.url}`);
  print(`  protected ${rs.protectedUrl} (issuer ${config.issuer}, audience ${config.audience.join(' ')}, ${config.mode} mode)`);
  if (config.requiredScope.length) print(`  required scope: ${config.requiredScope.join(' ')}`);
  if (rs.context.jwks && !rs.context.jwks.loaded) {
    print(
      `  warning: the issuer's keys are not available yet (${rs.context.jwks.lastError?.message ?? 'unknown error'}); retrying`,
    );
  }
  print(`ready ${rs.url}`);
  await waitForSignal();
  await rs.close();
}

export function resolveConfig(options: ServeResourceServerOptions): ResourceServerConfigInput {
  const overrides: Partial<ResourceServerConfigInput> = {
    ...(options.issuer !== undefined && { issuer: options.issuer }),
    ...(options.audience !== undefined && { audience: options.audience }),
    ...(options.scope !== undefined && { requiredScope: options.scope.split(/[ ,]+/).filter(Boolean) }),
    ...(options.jwksUri !== undefined && { jwksUri: options.jwksUri }),
    ...(options.port !== undefined && { port: options.port }),
    ...(options.host !== undefined && { host: options.host }),
  };
  if (options.config) return loadResourceServerConfig(options.config, overrides);
  // Run as a server, it publishes RFC 9728 metadata; a config file decides for itself.
  overrides.resourceMetadata = {};
  if (!options.issuer || !options.audience) {
    throw new UsageError('serve resource-server needs --issuer URL and --audience AUD, or --config FILE');
  }
  const result = resourceServerConfigSchema.safeParse(overrides);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = formatPath(issue.path.filter((key): key is string | number => typeof key !== 'symbol'));
    throw new UsageError(`${flagOf[String(issue.path[0])] ?? field}: ${issue.message}`);
  }
  return overrides as ResourceServerConfigInput;
}
