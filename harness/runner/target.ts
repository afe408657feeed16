/** The system under test as the checks see it: the profile plus what the run resolved (clients, URLs). */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../lib/errors.ts';
import { defaultAlgorithmForKey } from '../oauth/algorithms.ts';
import type { ClientAuth } from '../oauth/client.ts';
import type { ClientProfile, Profile } from '../profile/schema.ts';
import type { RunningTestIssuer } from '../test-issuer/server.ts';

export interface Target {
  name: string;
  profile: Profile;
  /** Where relative paths of the profile resolve. */
  baseDir: string;
  /** The profile file, when there is one (for error messages). */
  file?: string;
  /** The harness test issuer, running when the resource server trusts the harness. */
  testIssuer?: RunningTestIssuer;
}

/** The client authentication a check uses for a profile client; private keys are read from their files. */
export function clientAuth(target: Target, client: ClientProfile, audience: string): ClientAuth {
  switch (client.auth) {
    case 'none':
      return { method: 'none', clientId: client.id };
    case 'private_key_jwt': {
      if (!client.privateKeyFile) {
        throw new ConfigError({
          file: target.file ?? 'profile',
          field: `client ${client.id}.privateKeyFile`,
          problem: 'is required for private_key_jwt',
        });
      }
      const privateKey = createPrivateKey(readFileSync(resolve(target.baseDir, client.privateKeyFile)));
      return { method: 'private_key_jwt', clientId: client.id, privateKey, alg: defaultAlgorithmForKey(privateKey), audience };
    }
    default:
      if (!client.secret) {
        throw new ConfigError({
          file: target.file ?? 'profile',
          field: `client ${client.id}.secret`,
          problem: `is required for ${client.auth}`,
        });
      }
      return { method: client.auth, clientId: client.id, secret: client.secret };
  }
}
