import type { ContinuityMode } from '@app/tenants';

/**
 * The continuity state machine of one tenant, as a pure function: what the
 * tenant's mode should become given what just happened, its policy and the
 * time. No I/O: ContinuityService applies the answer as a compare-and-set in
 * Postgres, so two workers deciding at once cannot both transition.
 *
 *   normal ──activate / confirm / upstream-down / confirm-timeout──▶ active
 *   normal ──drill-start──▶ drill ──drill-end──▶ normal
 *   drill ──(any activation)──▶ active          (the real outage can start during a rehearsal)
 *   active ──end / upstream-healthy──▶ recovering ──replay-finished──▶ normal
 *   recovering ──(any activation)──▶ active     (Exchange can fall over again while replaying)
 */

export type ContinuityPolicyKind = 'automatic' | 'confirm' | 'manual';
export const CONTINUITY_POLICIES: readonly ContinuityPolicyKind[] = ['automatic', 'confirm', 'manual'];
export type UpstreamKind = 'on-premises' | 'exchange-online';
export const UPSTREAM_KINDS: readonly UpstreamKind[] = ['on-premises', 'exchange-online'];

/**
 * A tenant that has not chosen a policy gets `confirm` for Exchange Online
 * (its front ends answer probes even when mailboxes are unreachable, so
 * probes alone prove little) and `automatic` otherwise.
 */
export function effectivePolicy(chosen: ContinuityPolicyKind | null, upstreamKind: UpstreamKind): ContinuityPolicyKind {
  return chosen ?? (upstreamKind === 'exchange-online' ? 'confirm' : 'automatic');
}

export interface ContinuityPolicy {
  kind: ContinuityPolicyKind;
  /** Down after this many consecutive failures… */
  failureThreshold: number;
  /** …spanning at least this long (first to last failure). */
  failureWindowSeconds: number;
  /** At least this long between two transitions the policy makes by itself. */
  hysteresisSeconds: number;
  /** Leave continuity mode by itself once the upstream has been healthy long enough. */
  autoSwitchBack: boolean;
  healthyBeforeSwitchBackSeconds: number;
  /** `confirm` policy: activate after this long without an admin's answer; null waits for an admin forever. */
  confirmTimeoutSeconds: number | null;
}

export interface ContinuityState {
  mode: ContinuityMode;
  /** When the policy (not an admin) last changed the mode; hysteresis counts from here. */
  lastAutomaticTransitionAt: Date | null;
  /** `confirm` policy: when the admins were asked to confirm an activation; null when nothing is pending. */
  activationRequestedAt: Date | null;
  /** The global circuit breaker: while tripped, the policy activates nobody (the fault is probably ours). */
  breakerTripped: boolean;
}

/**
 * What probes and deliveries say about the tenant's upstreams as a whole:
 * every upstream failing (with the streak that all of them share), or at
 * least one healthy since a time.
 */
export type Evidence =
  | { kind: 'failing'; consecutiveFailures: number; firstFailureAt: Date; lastFailureAt: Date }
  | { kind: 'healthy'; since: Date };

export interface AdminCause { actor: string; reason: string }

export type ContinuityEvent =
  | ({ kind: 'activate' } & AdminCause)
  | ({ kind: 'confirm' } & AdminCause)
  | ({ kind: 'end' } & AdminCause)
  | ({ kind: 'drill-start'; mailboxIds: string[] } & AdminCause)
  | ({ kind: 'drill-end' } & AdminCause)
  | { kind: 'evidence'; evidence: Evidence }
  /** Checked with the current evidence: the confirmation timed out and the upstream is still down. */
  | { kind: 'confirm-timeout'; evidence: Evidence }
  | { kind: 'replay-finished' };

/** Audit names of what caused a transition. */
export type TransitionEventName = 'activate' | 'confirm' | 'end' | 'drill-start' | 'drill-end' | 'upstream-down' | 'confirm-timeout' | 'upstream-healthy' | 'replay-finished' | 'activation-requested';

export const POLICY_ACTOR = 'policy';
export const RECOVERY_ACTOR = 'recovery';

export interface PlannedTransition {
  from: ContinuityMode;
  to: ContinuityMode;
  event: TransitionEventName;
  actor: string;
  reason: string;
  /** Made by the policy by itself: subject to hysteresis and the breaker, and restarts the hysteresis clock. */
  automatic: boolean;
  drillMailboxIds: string[] | null;
}

export type SideRequest =
  /** `confirm` policy: ask the tenant's admins to confirm an activation (recorded and announced). */
  | { kind: 'request-confirmation'; reason: string }
  /** The outage passed before anyone confirmed: the pending request lapses. */
  | { kind: 'withdraw-confirmation-request'; reason: string }
  /** Something an operator must look at (the breaker held an activation back). */
  | { kind: 'alert-operators'; reason: string };

export type Decision =
  | { kind: 'transition'; transition: PlannedTransition; requests: SideRequest[] }
  /** Nothing changes; `why` is for logs and tests. */
  | { kind: 'none'; why: string; requests: SideRequest[] }
  /** An admin asked for something the current mode does not allow. */
  | { kind: 'refused'; code: string; why: string };

export interface Clock { now: Date }

const seconds = (a: Date, b: Date) => (a.getTime() - b.getTime()) / 1000;

/** The policy's definition of "down": N consecutive failures spanning at least T. */
export function meetsFailureThreshold(e: Evidence, p: Pick<ContinuityPolicy, 'failureThreshold' | 'failureWindowSeconds'>): boolean {
  return e.kind === 'failing' && e.consecutiveFailures >= p.failureThreshold && seconds(e.lastFailureAt, e.firstFailureAt) >= p.failureWindowSeconds;
}

function none(why: string, requests: SideRequest[] = []): Decision {
  return { kind: 'none', why, requests };
}

function refused(code: string, why: string): Decision {
  return { kind: 'refused', code, why };
}

function go(state: ContinuityState, to: ContinuityMode, event: TransitionEventName, cause: AdminCause, automatic: boolean, drillMailboxIds: string[] | null = null, requests: SideRequest[] = []): Decision {
  return { kind: 'transition', transition: { from: state.mode, to, event, actor: cause.actor, reason: cause.reason, automatic, drillMailboxIds }, requests };
}

/** Hysteresis and the breaker stand between the policy and an automatic transition; admins pass both. */
function automaticBlocked(state: ContinuityState, policy: ContinuityPolicy, clock: Clock, activation: boolean): { why: string; requests: SideRequest[] } | null {
  if (activation && state.breakerTripped) {
    return { why: 'circuit breaker tripped: automatic activation held back', requests: [{ kind: 'alert-operators', reason: 'circuit breaker held back an automatic activation' }] };
  }
  if (state.lastAutomaticTransitionAt && seconds(clock.now, state.lastAutomaticTransitionAt) < policy.hysteresisSeconds) {
    return { why: `hysteresis: last automatic transition ${Math.floor(seconds(clock.now, state.lastAutomaticTransitionAt))} s ago, fewer than ${policy.hysteresisSeconds} s`, requests: [] };
  }
  return null;
}

function describeDown(e: Evidence): string {
  return e.kind === 'failing' ? `${e.consecutiveFailures} consecutive failures over ${Math.round(seconds(e.lastFailureAt, e.firstFailureAt))} s` : 'upstream healthy';
}

/** Modes from which an outage can start (an activation is allowed). */
const CAN_ACTIVATE: readonly ContinuityMode[] = ['normal', 'drill', 'recovering'];

export function decide(state: ContinuityState, event: ContinuityEvent, policy: ContinuityPolicy, clock: Clock): Decision {
  switch (event.kind) {
    case 'activate':
      if (!CAN_ACTIVATE.includes(state.mode)) return refused('already_active', 'the tenant is already in continuity mode');
      return go(state, 'active', 'activate', event, false);

    case 'confirm':
      if (!CAN_ACTIVATE.includes(state.mode)) return refused('already_active', 'the tenant is already in continuity mode');
      if (!state.activationRequestedAt) return refused('nothing_to_confirm', 'no activation is waiting for confirmation; use activate to start continuity mode');
      return go(state, 'active', 'confirm', event, false);

    case 'end':
      if (state.mode === 'active') return go(state, 'recovering', 'end', event, false);
      if (state.mode === 'drill') return refused('drill_in_progress', 'the tenant is in a drill; end the drill instead');
      if (state.mode === 'recovering') return refused('already_recovering', 'the tenant is already replaying held mail');
      return refused('not_active', 'the tenant is not in continuity mode');

    case 'drill-start':
      if (state.mode !== 'normal') return refused('not_normal', `a drill can start only from normal operation, not from ${state.mode}`);
      if (event.mailboxIds.length === 0) return refused('drill_without_mailboxes', 'a drill needs at least one mailbox');
      return go(state, 'drill', 'drill-start', event, false, [...new Set(event.mailboxIds)]);

    case 'drill-end':
      if (state.mode !== 'drill') return refused('not_in_drill', 'the tenant is not in a drill');
      return go(state, 'normal', 'drill-end', event, false);

    case 'replay-finished':
      if (state.mode !== 'recovering') return none(`replay finished while ${state.mode}: nothing to do`);
      return go(state, 'normal', 'replay-finished', { actor: RECOVERY_ACTOR, reason: 'held mail replayed' }, false);

    case 'confirm-timeout':
      return decideConfirmTimeout(state, event.evidence, policy, clock);

    case 'evidence':
      return decideOnEvidence(state, event.evidence, policy, clock);
  }
}

function decideOnEvidence(state: ContinuityState, e: Evidence, policy: ContinuityPolicy, clock: Clock): Decision {
  if (e.kind === 'healthy') {
    const requests: SideRequest[] = state.activationRequestedAt ? [{ kind: 'withdraw-confirmation-request', reason: 'the upstream answers again' }] : [];
    if (state.mode !== 'active') return none('upstream healthy', requests);
    if (!policy.autoSwitchBack) return none('upstream healthy; switch-back is left to an admin', requests);
    const healthyFor = seconds(clock.now, e.since);
    if (healthyFor < policy.healthyBeforeSwitchBackSeconds) return none(`upstream healthy for ${Math.floor(healthyFor)} s, switch-back after ${policy.healthyBeforeSwitchBackSeconds} s`, requests);
    const blocked = automaticBlocked(state, policy, clock, false);
    if (blocked) return none(blocked.why, [...requests, ...blocked.requests]);
    return go(state, 'recovering', 'upstream-healthy', { actor: POLICY_ACTOR, reason: `upstream healthy for ${Math.floor(healthyFor)} s` }, true, null, requests);
  }

  if (!CAN_ACTIVATE.includes(state.mode)) return none('already in continuity mode');
  if (!meetsFailureThreshold(e, policy)) return none(`not down yet: ${describeDown(e)}`);
  const reason = `upstream down: ${describeDown(e)}`;
  switch (policy.kind) {
    case 'manual':
      return none(`manual policy: ${reason}; waiting for an admin`);
    case 'confirm': {
      if (state.activationRequestedAt) return decideConfirmTimeout(state, e, policy, clock);
      return none(`confirm policy: ${reason}; asking the admins`, [{ kind: 'request-confirmation', reason }]);
    }
    case 'automatic': {
      const blocked = automaticBlocked(state, policy, clock, true);
      if (blocked) return none(blocked.why, blocked.requests);
      return go(state, 'active', 'upstream-down', { actor: POLICY_ACTOR, reason }, true);
    }
  }
}

function decideConfirmTimeout(state: ContinuityState, e: Evidence, policy: ContinuityPolicy, clock: Clock): Decision {
  if (!CAN_ACTIVATE.includes(state.mode)) return none('already in continuity mode');
  if (!state.activationRequestedAt) return none('no confirmation pending');
  if (!meetsFailureThreshold(e, policy)) return none('confirmation pending, but the upstream is no longer down');
  if (policy.confirmTimeoutSeconds === null) return none('waiting for an admin to confirm (no timeout set)');
  const waited = seconds(clock.now, state.activationRequestedAt);
  if (waited < policy.confirmTimeoutSeconds) return none(`waiting for an admin to confirm (${Math.floor(waited)} of ${policy.confirmTimeoutSeconds} s)`);
  const blocked = automaticBlocked(state, policy, clock, true);
  if (blocked) return none(blocked.why, blocked.requests);
  return go(state, 'active', 'confirm-timeout', { actor: POLICY_ACTOR, reason: `no admin confirmed within ${policy.confirmTimeoutSeconds} s; ${describeDown(e)}` }, true);
}
