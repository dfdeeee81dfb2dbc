import type { RetryHint } from './delivery-outcome';

export interface RetryPolicy {
  baseSeconds: number;
  maxSeconds: number;
  /** Delay after a greylisting reply (default: the backoff). */
  greylistSeconds?: number;
  /** Least delay after a rate-limit reply (default: the backoff). */
  slowDownSeconds?: number;
}

/** Greylisters pass a sender that comes back; one that keeps being greylisted gets the ordinary backoff after this many short retries. */
export const GREYLIST_SHORT_RETRIES = 3;

/**
 * When to try again after a temporary failure, or null when the delivery's
 * lifetime is over. The delay doubles from `baseSeconds` per attempt up to
 * `maxSeconds`, with ±20 % jitter so that a recovering upstream is not hit by
 * every deferred message in the same second, and never lands after
 * `expiresAt`: the last attempt happens at the end of the lifetime.
 *
 * @param attempts attempts made so far, including the one that just failed (≥ 1)
 */
export function nextAttemptAt(attempts: number, now: Date, expiresAt: Date, policy: RetryPolicy, random: () => number = Math.random): Date | null {
  if (now.getTime() >= expiresAt.getTime()) return null;
  const exp = Math.min(Math.max(attempts, 1) - 1, 30);
  const plain = Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** exp);
  const jittered = Math.min(policy.maxSeconds, plain * (0.8 + 0.4 * random()));
  const at = now.getTime() + Math.max(1, jittered) * 1000;
  return new Date(Math.min(at, expiresAt.getTime()));
}

/**
 * The next attempt after a temporary failure, honouring what the reply said:
 * a greylisted delivery comes back after the short greylist delay (never
 * earlier: greylisters refuse a sender that returns too soon, so jitter only
 * adds), a rate-limited one waits at least the slow-down period, anything
 * else follows the backoff. Null when the lifetime is over.
 */
export function retryAfter(hint: RetryHint | undefined, attempts: number, now: Date, expiresAt: Date, policy: RetryPolicy, random: () => number = Math.random): Date | null {
  const backoff = nextAttemptAt(attempts, now, expiresAt, policy, random);
  if (!backoff) return null;
  let seconds: number | null = null;
  if (hint === 'greylist' && policy.greylistSeconds !== undefined) {
    const short = policy.greylistSeconds * (1 + 0.2 * random());
    seconds = attempts <= GREYLIST_SHORT_RETRIES ? short : Math.max(short, (backoff.getTime() - now.getTime()) / 1000);
  } else if (hint === 'slow-down' && policy.slowDownSeconds !== undefined) {
    seconds = Math.max(policy.slowDownSeconds * (1 + 0.2 * random()), (backoff.getTime() - now.getTime()) / 1000);
  }
  if (seconds === null) return backoff;
  return new Date(Math.min(now.getTime() + seconds * 1000, expiresAt.getTime()));
}
