/**
 * Runs a game day's timeline beside its load: at each phase's `at` the fault goes on (a toxic,
 * a disabled proxy, a moved issuer clock), probes run while it lasts, and at its end it comes
 * off again. Every fault is removed in a finally, whatever happens (an abort, a failed probe),
 * so an interrupted game day leaves nothing behind; the caller resets toxiproxy afterwards too.
 */
import { pause } from '../lib/poll.ts';
import type { ChaosSubject } from './chaos-environment.ts';
import { type ActiveFault, applyNetworkFault, type NetworkFault } from './faults.ts';
import type { Gameday, GamedayFault, GamedayPhase, LinkName } from './gameday.ts';
import {
  acceptedStatus,
  type ProbeKind,
  type ProbeResult,
  present,
  unknownKeyToken,
  unseenOpaqueToken,
  unsignedToken,
} from './probes.ts';
import type { ToxiproxyServer } from './toxiproxy.ts';

/** One phase as it actually ran, in milliseconds since the run started. */
export interface PhaseWindow {
  phase: GamedayPhase;
  startMs: number;
  endMs: number;
  /** The fault's label (`outage on jwks`), for fault phases. */
  label?: string;
  /** The links the fault sat on. */
  links: LinkName[];
}

export interface RevocationProbe {
  phase: string;
  revokedAtMs: number;
  /** When the RS could learn of it: the revocation, or the end of a fault that cut its events. */
  learnableAtMs: number;
  /** First refusal after the revocation; undefined: never refused before the deadline. */
  refusedAtMs?: number;
  /** Acceptances after learnableAtMs + the propagation SLO. */
  lateAcceptances: number;
  error?: string;
}

export interface TimelineResult {
  windows: PhaseWindow[];
  probes: ProbeResult[];
  revocations: RevocationProbe[];
  notes: string[];
}

export interface TimelineRequest {
  gameday: Gameday;
  subject: ChaosSubject;
  toxiproxy: ToxiproxyServer;
  /** performance.now() of the timeline's zero (the load's start). */
  zero: number;
  runStartedAt: number;
  revocationPropagationMs: number;
  signal?: AbortSignal;
  log(line: string): void;
}

const probeIntervalMs = 400;
const cutsConnectivity = new Set(['idp-outage', 'idp-hang', 'reset-peer', 'truncate']);

export function networkFault(fault: Exclude<GamedayFault, { kind: 'clock-skew' }>): NetworkFault {
  const shared = {
    ...(fault.kind !== 'idp-outage' && fault.stream && { stream: fault.stream }),
    ...(fault.kind !== 'idp-outage' && fault.toxicity !== undefined && { toxicity: fault.toxicity }),
  };
  switch (fault.kind) {
    case 'idp-outage':
      return { kind: 'idp-outage' };
    case 'idp-hang':
      return { kind: 'idp-hang', ...shared };
    case 'latency':
      return {
        kind: 'latency',
        latencyMs: fault.latency,
        ...(fault.jitter !== undefined && { jitterMs: fault.jitter }),
        ...shared,
      };
    case 'reset-peer':
      return { kind: 'reset-peer', ...(fault.after !== undefined && { timeoutMs: fault.after }), ...shared };
    case 'truncate':
      return { kind: 'truncate', bytes: fault.bytes, ...shared };
    case 'bandwidth':
      return { kind: 'bandwidth', kilobytesPerSecond: fault.kilobytesPerSecond, ...shared };
    case 'slicer':
      return {
        kind: 'slicer',
        averageSize: fault.averageSize,
        ...(fault.sizeVariation !== undefined && { sizeVariation: fault.sizeVariation }),
        ...(fault.delay !== undefined && { delayMicroseconds: fault.delay * 1000 }),
        ...shared,
      };
  }
}

export async function runTimeline(request: TimelineRequest): Promise<TimelineResult> {
  const { gameday, subject, toxiproxy, zero, runStartedAt, signal } = request;
  const since = () => Math.round(performance.now() - runStartedAt);
  const windows: PhaseWindow[] = [];
  const probes: ProbeResult[] = [];
  const revocations: RevocationProbe[] = [];
  const notes: string[] = [];
  const pending: Promise<void>[] = [];
  const active = new Set<ActiveFault>();
  let skewed = false;
  let lastSkewEndedMs: number | undefined;

  // Tokens a phase revokes are accepted by the RS before the timeline starts (so it holds them as valid).
  const toRevoke = new Map<GamedayPhase, string[]>();
  for (const phase of gameday.phases) {
    if (!phase.revoke) continue;
    if (!subject.revoke) {
      notes.push(`phase ${phase.name}: the ${subject.name} subject's issuer cannot revoke, so no token was revoked`);
      continue;
    }
    const tokens: string[] = [];
    for (let index = 0; index < phase.revoke; index++) {
      const token = await subject.mintValid();
      const answer = await present(subject, token);
      if (!acceptedStatus(answer.status))
        notes.push(
          `phase ${phase.name}: a fresh token was not accepted before its revocation (${answer.status ?? answer.error})`,
        );
      tokens.push(token);
    }
    toRevoke.set(phase, tokens);
  }

  const untilMs = (offsetMs: number) => pause(Math.max(0, zero + offsetMs - performance.now()), signal);

  const record = async (
    phase: GamedayPhase,
    kind: ProbeKind,
    token: string,
    expectation: { mustRefuse: boolean; mustAccept?: boolean; note?: string },
  ) => {
    const atMs = since();
    const answer = await present(subject, token);
    probes.push({
      kind,
      phase: phase.name,
      atMs,
      ...(answer.status !== undefined && { status: answer.status }),
      ...(answer.error && { error: answer.error }),
      accepted: acceptedStatus(answer.status),
      mustRefuse: expectation.mustRefuse,
      ...(expectation.mustAccept && { mustAccept: true }),
      ...(expectation.note && { note: expectation.note }),
    });
  };

  const probeRound = async (phase: GamedayPhase, links: LinkName[]) => {
    const fault = phase.fault;
    if (fault?.kind === 'clock-skew' && subject.skew) {
      const minted = await subject.skew.mint();
      const now = Date.now() / 1000;
      const early = minted.nbf !== undefined ? minted.nbf - now : 0;
      const late = now - minted.exp;
      const outside = early > gameday.leeway / 1000 || late > gameday.leeway / 1000;
      await record(phase, 'skewed', minted.token, {
        mustRefuse: outside,
        note:
          early > 0
            ? `nbf ${Math.round(early)} s ahead of the harness clock`
            : `exp ${Math.round(late)} s ${late > 0 ? 'past' : 'ahead'}`,
      });
      return;
    }
    if (phase.kind === 'recovery' && lastSkewEndedMs !== undefined && subject.skew) {
      const minted = await subject.skew.mint();
      await record(phase, 'skew-recovered', minted.token, { mustRefuse: false, mustAccept: true });
      return;
    }
    if (!fault || fault.kind === 'clock-skew') return;
    await record(phase, 'unsigned', unsignedToken(subject), { mustRefuse: true });
    if (links.includes('jwks')) await record(phase, 'unknown-key', await unknownKeyToken(subject), { mustRefuse: true });
    if (links.includes('introspection')) {
      await record(phase, 'unseen-opaque', unseenOpaqueToken(), { mustRefuse: true });
      if (cutsConnectivity.has(fault.kind)) {
        await record(phase, 'fresh-valid-unanswerable', await subject.mintValid(), {
          mustRefuse: true,
          note: 'a valid token the RS has never seen, while its issuer cannot answer: accepting it means accepting without an answer',
        });
      }
    }
  };

  try {
    for (const phase of gameday.phases) {
      await untilMs(phase.at);
      const fault = phase.fault;
      const links = fault && fault.kind !== 'clock-skew' ? (phase.links ?? (Object.keys(subject.links) as LinkName[])) : [];
      let label: string | undefined;
      const applied: ActiveFault[] = [];
      const startMs = since();
      try {
        if (fault?.kind === 'clock-skew') {
          if (!subject.skew) throw new Error(`the ${subject.name} subject has no way to skew its issuer's clock`);
          await subject.skew.setOffset(fault.offset);
          skewed = true;
          label = `issuer clock ${fault.offset > 0 ? '+' : ''}${fault.offset} s (${subject.skew.mechanism})`;
        } else if (fault) {
          for (const name of links) {
            const link = subject.links[name];
            if (!link)
              throw new Error(
                `the ${subject.name} subject has no ${name} link (it has: ${Object.keys(subject.links).join(', ') || 'none'})`,
              );
            const handle = await applyNetworkFault(toxiproxy, link, networkFault(fault));
            applied.push(handle);
            active.add(handle);
          }
          label = applied.map((handle) => handle.label).join(', ');
        }
        if (label) request.log(`chaos: ${phase.name}: ${label} for ${phase.for} ms`);
        for (const token of toRevoke.get(phase) ?? []) pending.push(revokeAndWatch(phase, token, links));
        const endAt = zero + phase.at + phase.for;
        while (performance.now() < endAt - 50) {
          const round = performance.now();
          await probeRound(phase, links);
          await pause(Math.max(0, Math.min(probeIntervalMs - (performance.now() - round), endAt - performance.now())), signal);
        }
        await untilMs(phase.at + phase.for);
      } finally {
        for (const handle of applied) {
          await handle.remove();
          active.delete(handle);
        }
        if (fault?.kind === 'clock-skew' && subject.skew) {
          await subject.skew.setOffset(0);
          skewed = false;
          lastSkewEndedMs = since();
        }
        windows.push({ phase, startMs, endMs: since(), ...(label && { label }), links });
      }
    }
    await Promise.all(pending);
  } finally {
    for (const handle of active) await handle.remove().catch(() => undefined);
    if (skewed) await subject.skew?.setOffset(0).catch(() => undefined);
  }
  return { windows, probes, revocations, notes };

  async function revokeAndWatch(phase: GamedayPhase, token: string, links: LinkName[]): Promise<void> {
    const revokedAtMs = since();
    const probe: RevocationProbe = { phase: phase.name, revokedAtMs, learnableAtMs: revokedAtMs, lateAcceptances: 0 };
    revocations.push(probe);
    try {
      await subject.revoke?.(token);
    } catch (error) {
      probe.error = (error as Error).message;
      return;
    }
    // Events (or introspection) cut by the fault: the RS can learn of it only once the fault ends.
    const cut = phase.fault && phase.fault.kind !== 'clock-skew' && cutsConnectivity.has(phase.fault.kind);
    const endOfFault = phase.at + phase.for;
    const deadline = () => probe.learnableAtMs + request.revocationPropagationMs;
    for (;;) {
      if (cut && links.length > 0) probe.learnableAtMs = Math.max(revokedAtMs, Math.round(zero + endOfFault - runStartedAt));
      const answer = await present(subject, token);
      const now = since();
      if (!acceptedStatus(answer.status) && answer.status !== undefined && answer.status < 500) {
        probe.refusedAtMs = now;
        return;
      }
      if (acceptedStatus(answer.status) && now > deadline()) probe.lateAcceptances++;
      if (now > deadline() + 1000) return;
      await pause(250, signal);
    }
  }
}
