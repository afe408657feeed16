/** Discovery steps: the issuer URL, its metadata document (fetched once per run), its endpoints. */
import { type HttpAnswer, readAnswer } from '../oauth/client.ts';
import { issuerMetadataUrls } from '../oauth/well-known.ts';
import { StepError } from '../runner/verdict.ts';
import type { StepIO } from './io.ts';

export interface Discovery {
  url: string;
  metadata: Record<string, unknown>;
}

export function discoverySteps(io: StepIO) {
  const issuerUrl = (): string => {
    const url = io.target.profile.issuer?.url;
    if (!url) throw new StepError('the profile has no issuer');
    return url;
  };

  async function get(url: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return readAnswer(await io.fetch(url, { headers: { accept: 'application/json', ...headers } }));
  }

  async function discovery(): Promise<Discovery> {
    const { value, firstUse } = await io.cache.get('discovery', io.checkId, async () => {
      const problems: string[] = [];
      for (const url of issuerMetadataUrls(issuerUrl())) {
        const answer = await get(url).catch((error: Error) => {
          problems.push(`${url}: ${error.message}`);
          return undefined;
        });
        if (!answer) continue;
        if (answer.status === 200 && answer.body && typeof answer.body === 'object' && !Array.isArray(answer.body))
          return { url, metadata: answer.body };
        problems.push(
          `${url}: HTTP ${answer.status}${answer.status === 200 ? (answer.jsonError ? `, not JSON (${answer.jsonError})` : ', not a JSON object') : ''}`,
        );
      }
      throw new StepError(`no usable discovery document (${problems.join('; ')})`);
    });
    if (!firstUse)
      io.note(`discovery document from ${value.url} (fetched once per run; the exchange is in the first check that used it)`);
    return value;
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

  return { issuerUrl, get, discovery, endpoint, optionalEndpoint };
}
