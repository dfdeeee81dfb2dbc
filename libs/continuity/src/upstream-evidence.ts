import type { AttemptResult } from '@app/delivery/delivery-outcome';
import type { Evidence } from './continuity-state-machine';

/**
 * What one observation of an upstream (a probe, or a real delivery) says
 * about whether the tenant's Exchange is down. Only failures that mean "the
 * server cannot take mail at all" count: connection-level failures and
 * 4.3.x (mail system) / 4.4.x (network, routing) replies. A 250 proves the
 * server healthy. Everything else (a 550 for one recipient, a full mailbox,
 * a policy refusal) says nothing about an outage and is not counted.
 */
export type Observation = 'failure' | 'healthy' | 'neutral';

export function classifyObservation(result: AttemptResult): Observation {
  switch (result.kind) {
    case 'connection':
      return 'failure';
    case 'route':
      // "no upstream configured", DNS trouble on our side, or an upstream refused because it resolves to a
      // non-public address (a configuration error): not evidence about the tenant's server.
      return 'neutral';
    case 'reply': {
      if (result.code >= 200 && result.code < 300) return 'healthy';
      const enhanced = result.enhanced ?? '';
      if (result.code >= 400 && result.code < 500 && /^4\.[34]\./.test(enhanced)) return 'failure';
      // 421 without an enhanced code is "service not available, closing channel" (RFC 5321 §4.2.3).
      if (result.code === 421 && !result.enhanced) return 'failure';
      return 'neutral';
    }
  }
}

/** The stored streak of one upstream (upstream_health). */
export interface UpstreamStreak {
  upstreamId: string;
  groupId: string;
  /** null: never observed. */
  lastOk: boolean | null;
  consecutiveFailures: number;
  firstFailureAt: Date | null;
  lastFailureAt: Date | null;
  healthySince: Date | null;
}

/**
 * The tenant's evidence from its upstreams' streaks. Routes fail over across
 * all of a tenant's upstreams, so a group is down when every upstream in it
 * is down and the tenant when every group is: `failing` only if every
 * upstream is failing, with the streak they all share (the smallest count,
 * the latest start, the earliest last failure — conservative, so one
 * upstream's long streak never stands in for another's short one).
 * `healthy` as soon as one upstream answers, since the earliest of them.
 * null when there is nothing to go on yet (an upstream never observed).
 */
export function aggregateEvidence(streaks: UpstreamStreak[]): Evidence | null {
  if (streaks.length === 0) return null;
  const healthy = streaks.filter((s) => s.lastOk === true && s.healthySince);
  if (healthy.length) return { kind: 'healthy', since: new Date(Math.min(...healthy.map((s) => (s.healthySince as Date).getTime()))) };
  if (streaks.some((s) => s.lastOk === null || s.consecutiveFailures === 0 || !s.firstFailureAt || !s.lastFailureAt)) return null;
  return {
    kind: 'failing',
    consecutiveFailures: Math.min(...streaks.map((s) => s.consecutiveFailures)),
    firstFailureAt: new Date(Math.max(...streaks.map((s) => (s.firstFailureAt as Date).getTime()))),
    lastFailureAt: new Date(Math.min(...streaks.map((s) => (s.lastFailureAt as Date).getTime()))),
  };
}

/** Whether every upstream of the tenant is failing right now (one failure is enough); the circuit breaker counts these. */
export function allUpstreamsFailing(streaks: UpstreamStreak[]): boolean {
  return streaks.length > 0 && streaks.every((s) => s.lastOk === false && s.consecutiveFailures > 0);
}
