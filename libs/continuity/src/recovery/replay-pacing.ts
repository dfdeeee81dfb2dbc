/**
 * How many held messages the replay may release now, for one tenant's
 * upstream, at `ratePerSecond`. A generic cell rate: each release books
 * 1/rate seconds on a schedule kept in Postgres (continuity_events.
 * replay_next_release_at), so several workers taking turns at the tenant's
 * lock still share one rate, and a worker that stalled does not make up for
 * lost time with a burst larger than `burstSeconds` worth of messages.
 */
export interface ReleaseAllowance {
  /** Messages that may be released now (at most `limit`). */
  count: number;
  /** What to store as the schedule after releasing `released` of them. */
  nextReleaseAt(released: number): Date;
}

export function releaseAllowance(now: Date, scheduled: Date | null, ratePerSecond: number, limit: number, burstSeconds = 1): ReleaseAllowance {
  if (!(ratePerSecond > 0)) throw new Error('the replay rate must be positive');
  const intervalMs = 1000 / ratePerSecond;
  const nowMs = now.getTime();
  // An idle or stalled schedule restarts no further back than one burst.
  const earliest = nowMs - burstSeconds * 1000;
  const base = scheduled === null ? nowMs : Math.max(scheduled.getTime(), earliest);
  const due = base <= nowMs ? Math.floor((nowMs - base) / intervalMs) + 1 : 0;
  const count = Math.max(0, Math.min(due, limit));
  return { count, nextReleaseAt: (released) => new Date(base + Math.max(0, released) * intervalMs) };
}

/** Seconds the replay of `held` messages still needs at this rate (for the operator's status). */
export function replayEtaSeconds(held: number, ratePerSecond: number): number {
  return held <= 0 ? 0 : Math.ceil(held / ratePerSecond);
}
