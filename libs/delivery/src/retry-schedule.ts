export interface RetryPolicy {
  baseSeconds: number;
  maxSeconds: number;
}

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
