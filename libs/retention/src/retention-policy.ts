import type { ContinuityMode } from '@app/tenants/tenant.entity';

const DAY_MS = 86_400_000;

/**
 * While a tenant is in continuity mode, or replaying held mail, its employees
 * work from the mirror and the replay needs every message of the event:
 * nothing of that tenant is purged.
 */
export const RETENTION_SUSPENDED_MODES: readonly ContinuityMode[] = ['active', 'recovering'];

export function isRetentionSuspended(mode: string): boolean {
  // A mode this code does not know yet is treated as suspended: keeping mail is the safe mistake.
  return (RETENTION_SUSPENDED_MODES as readonly string[]).includes(mode) || !['normal', 'drill'].includes(mode);
}

/** Mirror entries received before this instant are outside the tenant's rolling window. */
export function mirrorCutoff(now: Date, windowDays: number): Date {
  if (!Number.isInteger(windowDays) || windowDays < 1) throw new Error(`rolling window must be a positive number of days, got ${windowDays}`);
  return new Date(now.getTime() - windowDays * DAY_MS);
}

/** A message nothing refers to is deleted only once it was received before this instant. */
export function blobGraceCutoff(now: Date, graceSeconds: number): Date {
  return new Date(now.getTime() - Math.max(0, graceSeconds) * 1000);
}

/**
 * A blob without a message row is an orphan (the MX stored it, then its
 * transaction failed) only when it is older than this; a younger one may
 * belong to a transaction still in flight.
 */
export function isOrphanAged(modifiedAt: Date, now: Date, orphanAgeSeconds: number): boolean {
  return modifiedAt.getTime() < now.getTime() - orphanAgeSeconds * 1000;
}

/** The queue id part of a `<tenant>/<queueId>` blob key, for a lookup by the unique queue_id index. */
export function queueIdOfBlobKey(key: string): string | null {
  const m = /^[^/]+\/([^/]+)$/.exec(key);
  return m ? m[1] : null;
}
