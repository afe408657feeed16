/**
 * DPoP steps (RFC 9449) for the replay suite: a proof key, an access token bound to it (forged by
 * the harness test issuer, or issued by the target issuer with a proof at its token endpoint), a
 * request to the RS with a proof, the server nonce when the RS demands one (§9), and whether the
 * RS supports DPoP at all, found once per run and said in words (a check that skips says how it
 * knows).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dpopProof } from '../oauth/client.ts';
import { challengeFor, parseWwwAuthenticate } from '../oauth/www-authenticate.ts';
import { CheckSkipped, StepError } from '../runner/verdict.ts';
import {
  type DpopKey,
  type DpopRequest,
  dpopProofFor,
  generateDpopKey,
  jktOf,
  type ProofOptions,
} from '../test-issuer/dpop-proofs.ts';
import type { RunCache } from './cache.ts';
import { discoverySteps } from './discovery.ts';
import type { StepIO } from './io.ts';
import { resourceMetadataSteps } from './resource-metadata.ts';
import type { ResourceAnswer, resourceServerSteps } from './resource-server.ts';
import { tokenSteps } from './token.ts';

export interface DpopSession {
  key: DpopKey;
  jkt: string;
  /** An access token bound to `key` (cnf.jkt). */
  token: string;
  /** The protected URL the requests go to. */
  url: string;
  /** The same without query and fragment: what a proof's htu names (§4.2). */
  htu: string;
}

export interface DpopSupport {
  supported: boolean;
  /** How that was determined, in words (the reason of a skip, a note otherwise). */
  how: string;
  /** The RS demanded a server nonce (use_dpop_nonce), or the profile says it does. */
  nonce: boolean;
  /** Whether a valid DPoP request (bound token, fresh proof) was accepted. */
  accepted: boolean;
  /** What the RS answered that request. */
  status: number;
}

/** The server nonce of each run, updated from every DPoP-Nonce header the RS sends. */
const nonces = new WeakMap<RunCache, { value: string | undefined }>();

const accepted = (answer: { status: number }) => answer.status >= 200 && answer.status < 300;

/** The RS asks for a nonce: a DPoP challenge with error="use_dpop_nonce" (RFC 9449 §9). */
export function asksForNonce(answer: ResourceAnswer): boolean {
  const dpop = challengeFor(parseWwwAuthenticate(answer.headers.get('www-authenticate')), 'DPoP');
  return answer.status === 401 && dpop?.params.error === 'use_dpop_nonce';
}

export function dpopSteps(io: StepIO, resourceServer: ReturnType<typeof resourceServerSteps>) {
  const nonceState = nonces.get(io.cache) ?? { value: undefined };
  nonces.set(io.cache, nonceState);
  const remember = (answer: { headers: Headers }) => {
    const nonce = answer.headers.get('dpop-nonce');
    if (nonce) nonceState.value = nonce;
  };

  /** A DPoP-bound token for `key`: forged with cnf.jkt, or issued by the target issuer against a proof. */
  async function boundToken(key: DpopKey): Promise<string> {
    const jkt = await jktOf(key);
    // The bearer positive control (S01) only where the harness forges the token: an RS that trusts
    // the target issuer and requires DPoP refuses every bearer token, which says nothing here.
    if (io.target.profile.resourceServer?.trusts === 'harness') {
      const control = await resourceServer.control();
      return control.token({ claims: { cnf: { jkt } } });
    }
    const discovery = discoverySteps(io);
    const tokens = tokenSteps(io, discovery);
    const declared = io.target.profile.issuer?.capabilities;
    const advertised = Array.isArray((await discovery.discovery()).metadata.dpop_signing_alg_values_supported);
    if (declared ? !declared.includes('dpop') : !advertised) {
      throw new CheckSkipped(
        `the RS trusts the target issuer, which ${declared ? 'is not declared to support' : 'advertises no'} DPoP (dpop_signing_alg_values_supported), so no DPoP-bound token can be had for it`,
      );
    }
    const endpoint = await discovery.endpoint('token_endpoint');
    const rsProfile = io.target.profile.resourceServer!;
    const params = io.target.profile.issuer?.clients?.primary?.tokenParams ?? {};
    const form = {
      grant_type: 'client_credentials',
      ...params,
      ...(!('resource' in params || 'audience' in params) && { resource: rsProfile.audience }),
      ...(rsProfile.scope && { scope: rsProfile.scope }),
    };
    let nonce: string | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const proof = await dpopProof(key, { htm: 'POST', htu: endpoint, ...(nonce && { nonce }) });
      const answer = await tokens.token(form, tokens.client(), { dpop: proof });
      if (answer.status === 200 && typeof answer.body.access_token === 'string') {
        if (answer.body.token_type?.toLowerCase() !== 'dpop') {
          throw new CheckSkipped(
            `the target issuer answered a token request with a DPoP proof with token_type ${answer.body.token_type ?? '(none)'}, not DPoP: it issues no DPoP-bound tokens for the RS to check`,
          );
        }
        return answer.body.access_token;
      }
      nonce = answer.headers.get('dpop-nonce') ?? undefined;
      if (answer.body.error !== 'use_dpop_nonce' || !nonce) {
        throw new StepError(
          `the target issuer refused a DPoP-bound token request: HTTP ${answer.status} ${answer.body.error ?? ''}`.trim(),
        );
      }
    }
    throw new StepError('the target issuer kept asking for a new DPoP nonce');
  }

  /** A fresh key and a token bound to it, for the RS's protected URL. */
  async function session(): Promise<DpopSession> {
    const key = generateDpopKey();
    const url = resourceServer.resourceUrl();
    const parsed = new URL(url);
    const token = await boundToken(key);
    io.redactor.register(token);
    return { key, jkt: await jktOf(key), token, url, htu: `${parsed.origin}${parsed.pathname}` };
  }

  /** The request a proof is for: this session's token, htu, GET, now, and the current nonce. */
  function request(dpop: DpopSession, changes: Partial<DpopRequest> = {}): DpopRequest {
    return {
      htm: 'GET',
      htu: dpop.htu,
      accessToken: dpop.token,
      nowSeconds: Math.floor(Date.now() / 1000),
      ...(nonceState.value !== undefined && { nonce: nonceState.value }),
      ...changes,
    };
  }

  /** A proof for the session's request; valid unless the options change it. */
  function proof(dpop: DpopSession, options: ProofOptions & { request?: Partial<DpopRequest> } = {}): string {
    return dpopProofFor(dpop.key, request(dpop, options.request), options);
  }

  /** Sends the session's token with `proof` (none: no DPoP header); scheme DPoP unless told. */
  async function send(
    dpop: DpopSession,
    proofValue: string | undefined,
    options: { scheme?: string; method?: string } = {},
  ): Promise<ResourceAnswer> {
    const answer = await resourceServer.call({
      url: dpop.url,
      authorization: `${options.scheme ?? 'DPoP'} ${dpop.token}`,
      ...(options.method && { method: options.method }),
      ...(proofValue !== undefined && { headers: { dpop: proofValue } }),
    });
    remember(answer);
    return answer;
  }

  /**
   * A request with a freshly made proof (the options change it); when the RS asks for a nonce, once
   * more with the nonce it gave: that is the protocol (§9), not a second chance for the proof.
   */
  async function sendFresh(
    dpop: DpopSession,
    options: ProofOptions & { request?: Partial<DpopRequest> } = {},
  ): Promise<ResourceAnswer> {
    const first = await send(dpop, proof(dpop, options));
    if (!asksForNonce(first) || !first.headers.get('dpop-nonce')) return first;
    io.note('the RS asked for a DPoP nonce (use_dpop_nonce); the proof is made again with it');
    return send(dpop, proof(dpop, options));
  }

  /** Two DPoP header fields in one request (fetch would join them into one): node:http, noted as evidence. */
  async function sendTwoProofs(dpop: DpopSession, proofs: [string, string]): Promise<{ status: number; text: string }> {
    const url = new URL(dpop.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const timeoutMs = io.target.profile.timeouts.request;
    const answer = await new Promise<{ status: number; text: string }>((resolve) => {
      const outgoing = send(
        url,
        {
          method: 'GET',
          headers: { authorization: `DPoP ${dpop.token}`, dpop: proofs },
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(io.signal ? [io.signal] : [])]),
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= 64 * 1024) chunks.push(chunk);
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', (error) => resolve({ status: 0, text: error.message }));
        },
      );
      outgoing.on('error', (error) => resolve({ status: 0, text: error.message }));
      outgoing.end();
    });
    io.note(`GET ${dpop.url} with two DPoP header fields (sent with node:http): HTTP ${answer.status || 'no answer'}`);
    return answer;
  }

  async function computeSupport(): Promise<DpopSupport> {
    const declared = io.target.profile.resourceServer?.dpop;
    if (declared?.supported === false) {
      return {
        supported: false,
        how: 'the profile declares that the resource server does not support DPoP (resourceServer.dpop.supported: false)',
        nonce: false,
        accepted: false,
        status: 0,
      };
    }
    const dpop = await session();
    const answer = await sendFresh(dpop);
    const nonce = nonceState.value !== undefined || declared?.nonce === true;
    if (accepted(answer)) {
      return {
        supported: true,
        how: `the RS accepted a DPoP-bound token with a valid proof (HTTP ${answer.status})${nonce ? ', after asking for a nonce' : ''}`,
        nonce,
        accepted: true,
        status: answer.status,
      };
    }
    const signs: string[] = [];
    if (declared?.supported) signs.push('the profile declares DPoP (resourceServer.dpop.supported)');
    const offered = challengeFor(parseWwwAuthenticate(answer.headers.get('www-authenticate')), 'DPoP');
    if (offered) signs.push('its challenge offers the DPoP scheme');
    const metadata = await resourceMetadataSteps(io)
      .metadata()
      .catch(() => undefined);
    const document = metadata?.found?.document;
    if (
      document &&
      (Array.isArray(document.dpop_signing_alg_values_supported) || document.dpop_bound_access_tokens_required === true)
    )
      signs.push('its RFC 9728 metadata advertises DPoP');
    if (signs.length) {
      return {
        supported: true,
        how: `${signs.join('; ')}, but it refused a DPoP-bound token with a valid proof (HTTP ${answer.status || 'no answer'})`,
        nonce,
        accepted: false,
        status: answer.status,
      };
    }
    return {
      supported: false,
      how: `the RS does not support DPoP: it refused a DPoP-bound token with a valid proof (HTTP ${answer.status || 'no answer'}), its challenge offers no DPoP scheme, and neither its RFC 9728 metadata nor the profile (resourceServer.dpop) declares DPoP`,
      nonce: false,
      accepted: false,
      status: answer.status,
    };
  }

  /** Whether the RS supports DPoP, found once per run (the first check's evidence has the probe). */
  async function support(): Promise<DpopSupport> {
    const { value, firstUse } = await io.cache.get('dpop-support', io.checkId, computeSupport);
    if (!firstUse) io.note(`DPoP support (found once per run): ${value.how}`);
    return value;
  }

  return {
    newKey: generateDpopKey,
    boundToken,
    session,
    request,
    proof,
    send,
    sendFresh,
    sendTwoProofs,
    support,
    nonce: () => nonceState.value,
    forgetNonce: () => {
      nonceState.value = undefined;
    },
  };
}
