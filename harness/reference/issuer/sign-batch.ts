/**
 * Signatures asked for during one turn of the event loop, made one after the other in its check
 * phase (`setImmediate`), at most `maxBatch` at a time.
 *
 * Why: under load, node:http hands the token endpoint several requests per turn. Made one request
 * at a time, each RS256 signature (~400 µs of OpenSSL) evicts what the request's JavaScript and
 * the socket write had in the core's caches, and both then run several times slower than they do
 * warm: the parsing, client authentication and claims of one request cost ~35 µs next to an RSA
 * signature against ~8 µs in a loop, its response write ~60 µs against ~20. In a batch the
 * requests' JavaScript runs back to back, then the signatures, then (as the promises resolve, in
 * order) the responses: 12-19 % less CPU per token in the bench (harness/bench/README.md). An
 * idle issuer pays one `setImmediate` hop per token, microseconds.
 *
 * Signing touches no issuer state, so the grants still read and change the store synchronously
 * before they ask for a signature (grants/grant.ts).
 */
import type { KeyObject } from 'node:crypto';
import { type AsymmetricAlgorithm, jwsSign } from '../../oauth/algorithms.ts';

/** Enough to keep caches warm; bounded so one burst does not hold the event loop for long. */
export const maxBatch = 32;

interface Job {
  alg: AsymmetricAlgorithm;
  data: Buffer;
  key: KeyObject;
  resolve: (signature: Buffer) => void;
  reject: (error: unknown) => void;
}

const queue: Job[] = [];
let scheduled = false;

/** jwsSign(alg, data, key), made with the other signatures asked for in this turn of the event loop. */
export function signInBatch(alg: AsymmetricAlgorithm, data: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    queue.push({ alg, data, key, resolve, reject });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}

function flush(): void {
  const jobs = queue.splice(0, maxBatch);
  // What is left waits for the next turn, after the I/O that arrived meanwhile.
  if (queue.length > 0) setImmediate(flush);
  else scheduled = false;
  for (const job of jobs) {
    let signature: Buffer;
    try {
      signature = jwsSign(job.alg, job.data, job.key);
    } catch (error) {
      job.reject(error);
      continue;
    }
    job.resolve(signature);
  }
}
