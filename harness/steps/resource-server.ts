/**
 * Resource-server steps: call the protected URL with a credential and read what it answered, and
 * the positive control every RS check builds on (S01): a valid token the RS accepts, with the
 * `typ` and algorithms it accepts, found once per run.
 */
import { PreconditionFailed, StepError } from '../runner/verdict.ts';
import type { TokenOptions } from '../test-issuer/forge.ts';
import { createAttackerKey, type TestKey } from '../test-issuer/keys.ts';
import { mutateIssuedToken } from '../test-issuer/mutations.ts';
import type { ForgedToken } from '../test-issuer/variations.ts';
import { discoverySteps } from './discovery.ts';
import type { StepIO } from './io.ts';
import { jwsHeader } from './jwks.ts';
import { tokenSteps } from './token.ts';

export interface ResourceAnswer {
  status: number;
  headers: Headers;
  text: string;
  durationMs: number;
}

export interface CallOptions {
  /** The whole Authorization header value (`Bearer x`, `DPoP x`); absent = no credential. */
  authorization?: string;
  headers?: Record<string, string>;
  method?: string;
  /** Another URL of the RS (a replica, a query-string variant); default resourceServer.url. */
  url?: string;
}

/** RFC 9068 §4 asks for `at+jwt`; Spring Security 7 by default insists on `JWT` instead. */
export type ControlTyp = 'at+jwt' | 'JWT';

/** One probe of the positive control, for the report: what was sent, what came back. */
export interface ControlProbe {
  alg: string;
  typ: string;
  status: number;
}

/**
 * What the positive control found (S01): the rest of the RS matrix sends its tokens with this
 * `typ` and these algorithms, so every other rule is still judged on an RS that deviates here.
 */
export interface ResourceServerControl {
  trusts: 'harness' | 'issuer';
  /** The `typ` the RS accepts: at+jwt when it does, else JWT (the S01 finding). */
  typ: ControlTyp | string;
  /** The RS refused the at+jwt token but accepted the same token typed JWT (the reverse of RFC 9068 §4). */
  atJwtRefused: boolean;
  /** at+jwt accepted and the same token typed JWT refused: the RS tells access tokens apart by typ. */
  typEnforced: boolean;
  /** Algorithms of valid tokens the RS accepted (harness: of the test issuer's published keys). */
  algs: string[];
  /** Algorithms the harness could sign with and the RS refused, valid tokens otherwise. */
  refusedAlgs: string[];
  probes: ControlProbe[];
  /** One line for the report: what the control sent and what the RS did. */
  summary: string;
  /**
   * A fresh valid token the RS accepts. Against `trusts: harness` it is forged (the options change
   * it, signed by the key of the first accepted alg unless `key` is given); against `trusts:
   * issuer` it comes from the target issuer and takes no options.
   */
  token(options?: TokenOptions): Promise<string>;
}

const controlKey = 'rs-positive-control';

export function resourceServerSteps(io: StepIO) {
  const resourceUrl = (): string => {
    const url = io.target.profile.resourceServer?.url;
    if (!url) throw new StepError('the profile has no resourceServer');
    return url;
  };

  /** One request to the RS; a network failure (reset, timeout) is returned as status 0 with the reason in text. */
  async function call(options: CallOptions = {}): Promise<ResourceAnswer> {
    const started = performance.now();
    try {
      const response = await io.fetch(options.url ?? resourceUrl(), {
        method: options.method ?? 'GET',
        headers: { ...(options.authorization && { authorization: options.authorization }), ...options.headers },
        redirect: 'manual',
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, durationMs: performance.now() - started };
    } catch (error) {
      if (io.signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      return { status: 0, headers: new Headers(), text: cause, durationMs: performance.now() - started };
    }
  }

  /** The RS with a bearer token. */
  const withBearer = (token: string, options: Omit<CallOptions, 'authorization'> = {}) =>
    call({ ...options, authorization: `Bearer ${token}` });

  const accepted = (answer: ResourceAnswer) => answer.status >= 200 && answer.status < 300;

  async function harnessControl(): Promise<ResourceServerControl> {
    const testIssuer = io.target.testIssuer;
    if (!testIssuer) throw new StepError('the resource server trusts the harness, but no harness test issuer is running');
    const forger = testIssuer.forger;
    const signingKeys = [...new Set(testIssuer.keys.publishedKeys().map((key) => key.alg))]
      .map((alg) => testIssuer.keys.maybeCurrent(alg))
      .filter((key): key is TestKey => key !== undefined);
    const probes: ControlProbe[] = [];
    const probe = async (key: TestKey, typ: string): Promise<boolean> => {
      const token = forger.accessToken({ key, header: { typ } });
      io.redactor.register(token);
      const answer = await withBearer(token);
      probes.push({ alg: key.alg, typ, status: answer.status });
      return accepted(answer);
    };
    const acceptedWith = async (typ: string) => {
      const algs: string[] = [];
      for (const key of signingKeys) if (await probe(key, typ)) algs.push(key.alg);
      return algs;
    };
    let typ: ControlTyp = 'at+jwt';
    let algs = await acceptedWith('at+jwt');
    let atJwtRefused = false;
    let typEnforced = false;
    if (algs.length === 0) {
      algs = await acceptedWith('JWT');
      if (algs.length === 0) throw new PreconditionFailed(controlFailure(probes));
      typ = 'JWT';
      atJwtRefused = true;
    } else {
      const first = signingKeys.find((key) => key.alg === algs[0])!;
      typEnforced = !(await probe(first, 'JWT'));
    }
    const refusedAlgs = signingKeys.map((key) => key.alg).filter((alg) => !algs.includes(alg));
    const summary = atJwtRefused
      ? `refused valid tokens typed at+jwt (${describeProbes(probes.filter((p) => p.typ === 'at+jwt'))}) but accepted the same tokens typed JWT (${algs.join(', ')}): the reverse of RFC 9068 §4; the other checks send typ JWT`
      : `accepted valid at+jwt tokens signed ${algs.join(', ')} by the harness test issuer${refusedAlgs.length ? `; refused ${refusedAlgs.join(', ')}` : ''}`;
    io.note(`positive control: ${summary}`);
    const defaultKey = signingKeys.find((key) => key.alg === algs[0])!;
    return {
      trusts: 'harness',
      typ,
      atJwtRefused,
      typEnforced,
      algs,
      refusedAlgs,
      probes,
      summary,
      async token(options = {}) {
        const token = forger.accessToken({
          ...options,
          key: options.key ?? testIssuer.keys.maybeCurrent(defaultKey.alg) ?? defaultKey,
          header: { typ, ...options.header },
        });
        io.redactor.register(token);
        return token;
      },
    };
  }

  /** A client_credentials token of the primary client for the RS (RFC 8707 resource unless its tokenParams name the audience). */
  async function issuerToken(): Promise<string> {
    const resourceServer = io.target.profile.resourceServer!;
    const tokens = tokenSteps(io, discoverySteps(io));
    const params = io.target.profile.issuer?.clients?.primary?.tokenParams ?? {};
    const vendor = 'resource' in params || 'audience' in params;
    const issued = await tokens.clientCredentialsToken(tokens.client(), {
      ...params,
      ...(!vendor && { resource: resourceServer.audience }),
      ...(resourceServer.scope && { scope: resourceServer.scope }),
    });
    return issued.access_token;
  }

  async function issuerControl(): Promise<ResourceServerControl> {
    const token = await issuerToken();
    const header = jwsHeader(token);
    const answer = await withBearer(token);
    const alg = String(header?.alg ?? 'unknown');
    const typ = String(header?.typ ?? '(none)');
    const probes = [{ alg, typ, status: answer.status }];
    if (!accepted(answer)) throw new PreconditionFailed(controlFailure(probes, 'a token from the target issuer'));
    const summary = `accepted a token from the target issuer (${header ? `alg ${alg}, typ ${typ}` : 'opaque'})`;
    io.note(`positive control: ${summary}`);
    return {
      trusts: 'issuer',
      typ,
      atJwtRefused: false,
      typEnforced: false,
      algs: header ? [alg] : [],
      refusedAlgs: [],
      probes,
      summary,
      async token(options) {
        if (options) throw new StepError('forging a token needs an RS that trusts the harness test issuer (trusts: harness)');
        return issuerToken();
      },
    };
  }

  /**
   * The positive control (S01), computed once per run: finds a valid token the RS accepts. Throws
   * PreconditionFailed when it accepts none (then every check built on it is `error` naming S01).
   */
  async function control(): Promise<ResourceServerControl> {
    const resourceServer = io.target.profile.resourceServer;
    if (!resourceServer) throw new StepError('the profile has no resourceServer');
    const { value, firstUse } = await io.cache
      .get(controlKey, io.checkId, () => (resourceServer.trusts === 'harness' ? harnessControl() : issuerControl()))
      .catch((error: unknown) => {
        // The cache turns a remembered failure into a StepError; the control's failure stays a precondition.
        if (error instanceof PreconditionFailed) throw error;
        const message = (error as Error).message;
        if (/^the positive control S01/.test(message)) throw new PreconditionFailed(message);
        throw error;
      });
    if (!firstUse) io.note(`positive control (S01, found once per run): ${value.summary}`);
    return value;
  }

  /**
   * The named forgeries of the harness test issuer (S01–S28), generated once per run for the
   * `typ` and algorithms the positive control found; for an RS that trusts the target issuer,
   * the subset that needs no trusted key. Tokens are registered with the redactor.
   */
  async function forgeries(): Promise<ForgedToken[]> {
    const found = await control();
    const testIssuer = io.target.testIssuer;
    const { value } = await io.cache.get(
      `rs-forgeries:${found.trusts}:${found.typ}:${found.algs.join(',')}`,
      io.checkId,
      async () => {
        // Against an RS that trusts the target issuer, only what needs no trusted key: mutations
        // of one of its tokens and tokens of an attacker key.
        const cases =
          found.trusts === 'harness' && testIssuer
            ? await testIssuer.variations({ allowedAlgs: found.algs, typ: found.typ })
            : mutateIssuedToken(await found.token(), await createAttackerKey());
        for (const forged of cases) io.redactor.register(forged.token);
        return cases;
      },
    );
    return value;
  }

  return { resourceUrl, call, withBearer, control, forgeries };
}

function describeProbes(probes: ControlProbe[]): string {
  return probes
    .map((probe) => `${probe.alg} typ ${probe.typ}: ${probe.status === 0 ? 'no answer' : `HTTP ${probe.status}`}`)
    .join(', ');
}

function controlFailure(probes: ControlProbe[], what = 'a valid token'): string {
  return `the positive control S01 (rs-claims.valid-token) failed: the resource server refused ${what} (${describeProbes(probes)})`;
}
