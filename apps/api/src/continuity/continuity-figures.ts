/**
 * The arithmetic of the continuity status page, kept free of I/O so it is
 * tested without a database: when every employee will have their text, and
 * how an upstream's streak reads.
 */

export const SMS_STATES = ['queued', 'sending', 'sent', 'delivered', 'failed', 'undelivered', 'capped'] as const;
export type SmsStateCount = Record<(typeof SMS_STATES)[number], number>;

/** A credentials text is usually two segments (code, link and the tenant's wording). */
export const SEGMENTS_PER_TEXT = 2;

export interface TextsInput {
  counts: Partial<Record<string, number>>;
  /** What the SMS sender sustains (SMS_SENDER_SEGMENTS_PER_SECOND). */
  segmentsPerSecond: number;
  /** The tenant's hourly cap (its own, or SMS_TENANT_CAP_PER_HOUR). */
  capPerHour: number;
  /** Texts already counted against the cap in the current clock hour. */
  usedThisHour: number;
}

export interface TextsSummary extends SmsStateCount {
  /** Queued or being handed over. */
  remaining: number;
  sendRatePerSecond: number;
  capPerHour: number;
  capRemainingThisHour: number;
  /** Texts that the cap will stop this hour (they end as `capped`, admins are alerted). */
  blockedByCap: number;
  /** Seconds until every remaining text is handed to the provider; null when the cap stops some of them (they never go). */
  estimatedSecondsUntilAllSent: number | null;
}

/**
 * Counts by state, and the time until the queue is drained at the sender's
 * sustained rate. A text over the hourly cap is not delayed but marked
 * `capped` when a worker reaches it, so a queue longer than the cap has room
 * for is reported as blocked, not as a longer wait.
 */
export function summarizeTexts(i: TextsInput): TextsSummary {
  const n = (s: string) => Math.max(0, Math.trunc(i.counts[s] ?? 0));
  const counts = Object.fromEntries(SMS_STATES.map((s) => [s, n(s)])) as SmsStateCount;
  const remaining = counts.queued + counts.sending;
  const capRemainingThisHour = Math.max(0, i.capPerHour - i.usedThisHour);
  // Rows already sending have taken their place under the cap.
  const blockedByCap = Math.max(0, counts.queued - capRemainingThisHour);
  const sendRatePerSecond = i.segmentsPerSecond / SEGMENTS_PER_TEXT;
  const estimatedSecondsUntilAllSent = blockedByCap > 0 ? null : remaining === 0 ? 0 : Math.ceil(remaining / sendRatePerSecond);
  return { ...counts, remaining, sendRatePerSecond, capPerHour: i.capPerHour, capRemainingThisHour, blockedByCap, estimatedSecondsUntilAllSent };
}

export type UpstreamState = 'healthy' | 'failing' | 'unknown';

export function upstreamState(lastOk: boolean | null): UpstreamState {
  return lastOk === null ? 'unknown' : lastOk ? 'healthy' : 'failing';
}

/** Milliseconds, rounded; null stays null (no sample). */
export function roundMs(v: number | string | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? Math.round(n) : null;
}
