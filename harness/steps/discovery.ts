/**
 * Discovery steps: the issuer URL, its well-known metadata documents (each URL asked once per
 * run, both at once), the document the run uses, its endpoints. What a well-known URL answered
 * is data, never an exception: a hung, dripping, huge or garbage answer is described once (by the
 * first check that asked, with the exchange as its evidence) and every later check reads that.
 */
import { type HttpAnswer, readAnswer } from '../oauth/client.ts';
import { issuerMetadataUrls } from '../oauth/well-known.ts';
import { StepError } from '../runner/verdict.ts';
import type { StepIO } from './io.ts';

export interface Discovery {
  url: string;
  metadata: Record<string, unknown>;
}

/** What one well-known URL answered. */
export interface MetadataAnswer {
  url: string;
  /** Absent when no complete answer came (then `problem` says why). */
  status?: number;
  contentType?: string;
  /** The document, when the answer is 200 with a JSON object (whatever its content type). */
  document?: Record<string, unknown>;
  /** Why this answer is not a usable metadata document; absent when it is one. */
  problem?: string;
}

function describeAnswer(url: string, answer: HttpAnswer): MetadataAnswer {
  const contentType = answer.headers.get('content-type') ?? undefined;
  const base = { url, status: answer.status, ...(contentType && { contentType }) };
  if (answer.status !== 200) return { ...base, problem: `HTTP ${answer.status}` };
  if (answer.jsonError) return { ...base, problem: `HTTP 200 but not JSON (${answer.jsonError})` };
  if (!answer.text.trim()) return { ...base, problem: 'HTTP 200 with an empty body' };
  const body: unknown = answer.body;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return {
      ...base,
      problem: `HTTP 200 but the JSON is ${body === null ? 'null' : Array.isArray(body) ? 'an array' : `a ${typeof body}`}, not an object`,
    };
  return { ...base, document: body as Record<string, unknown> };
}

export function discoverySteps(io: StepIO) {
  const issuerUrl = (): string => {
    const url = io.target.profile.issuer?.url;
    if (!url) throw new StepError('the profile has no issuer');
    return url;
  };

  // One pointer to the shared lookup per check, however often its steps read discovery.
  let pointedAtOwner = false;

  async function get(url: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return readAnswer(await io.fetch(url, { headers: { accept: 'application/json', ...headers } }));
  }

  /**
   * Both well-known URLs (OpenID Connect Discovery first, then RFC 8414), asked at once and only
   * once per run; later callers get a note pointing at the check whose evidence has the exchanges.
   */
  async function metadataAnswers(): Promise<MetadataAnswer[]> {
    const { value, firstUse, owner } = await io.cache.get('well-known', io.checkId, () =>
      Promise.all(
        issuerMetadataUrls(issuerUrl()).map((url) =>
          get(url).then(
            (answer) => describeAnswer(url, answer),
            (error: Error) => {
              if (io.signal?.aborted) throw error;
              return { url, problem: `no usable answer: ${error.message}` };
            },
          ),
        ),
      ),
    );
    if (!firstUse && !pointedAtOwner) {
      pointedAtOwner = true;
      io.note(`well-known documents asked once per run; the exchanges are in the evidence of ${owner}`);
    }
    return value;
  }

  /** The metadata document the run uses: the first well-known URL that serves a JSON object. */
  async function discovery(): Promise<Discovery> {
    const answers = await metadataAnswers();
    const usable = answers.find((answer) => answer.document);
    if (usable?.document) return { url: usable.url, metadata: usable.document };
    throw new StepError(
      `no usable discovery document (${answers.map((answer) => `${answer.url}: ${answer.problem}`).join('; ')})`,
    );
  }

  async function endpoint(name: string): Promise<string> {
    const value = (await discovery()).metadata[name];
    if (typeof value !== 'string') throw new StepError(`discovery has no ${name}`);
    return value;
  }

  /** An endpoint that may be absent: undefined instead of an error. */
  async function optionalEndpoint(name: string): Promise<string | undefined> {
    const value = (await discovery()).metadata[name];
    return typeof value === 'string' ? value : undefined;
  }

  return { issuerUrl, get, metadataAnswers, discovery, endpoint, optionalEndpoint };
}
