/** What every domain's steps are built from: the target, the check's recording fetch, and the run's shared state. */

import type { Redactor } from '../lib/redactor.ts';
import type { Fetcher } from '../oauth/client.ts';
import type { Target } from '../runner/target.ts';
import type { RunCache } from './cache.ts';

export interface StepIO {
  target: Target;
  /** The check's evidence-recording fetch (deadline and size cap included). */
  fetch: Fetcher;
  redactor: Redactor;
  cache: RunCache;
  /** The id of the check these steps serve (names the owner of shared lookups). */
  checkId: string;
  note(text: string): void;
  signal?: AbortSignal;
}
