/** Reads a target profile file: YAML, ${ENV} interpolation, schema validation with file:line:field errors. */
import { dirname, resolve } from 'node:path';
import { loadYamlFile } from '../config/yaml-file.ts';
import { type Profile, profileSchema } from './schema.ts';

export interface LoadedProfile {
  profile: Profile;
  /** The file it came from (absolute); relative paths in the profile resolve against its folder. */
  file: string;
  baseDir: string;
}

export function loadProfile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedProfile {
  const absolute = resolve(file);
  return { profile: loadYamlFile(absolute, profileSchema, { env }), file: absolute, baseDir: dirname(absolute) };
}
