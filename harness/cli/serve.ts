/** `tokenproof serve issuer`: one reference issuer in the foreground until Ctrl-C. */
import { loadIssuerConfig } from '../reference/issuer/config.ts';
import { demoIssuerConfig, writeCredentialsFile } from '../reference/issuer/demo-config.ts';
import { startIssuer } from '../reference/issuer/server.ts';

export interface ServeIssuerOptions {
  port?: number;
  host?: string;
  config?: string;
}

export async function serveIssuer(options: ServeIssuerOptions, print: (line: string) => void): Promise<void> {
  let input: Parameters<typeof startIssuer>[0];
  let credentialsNote: string | undefined;
  if (options.config) {
    input = loadIssuerConfig(options.config);
    if (options.port !== undefined) input.port = options.port;
    if (options.host !== undefined) input.host = options.host;
  } else {
    const demo = demoIssuerConfig(options);
    input = demo.config;
    credentialsNote = `demo client '${demo.credentials.clientId}', public client '${demo.credentials.publicClientId}', user '${demo.credentials.username}': secrets in ${writeCredentialsFile(demo.credentials)}`;
  }
  const issuer = await startIssuer(input);
  print(`tokenproof reference issuer at ${issuer.url}`);
  print(`  discovery ${issuer.url}/.well-known/openid-configuration`);
  if (credentialsNote) print(`  ${credentialsNote}`);
  print(`ready ${issuer.url}`);
  await waitForSignal();
  await issuer.close();
}

export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
