import { nextAttemptAt, retryAfter } from './retry-schedule';

const policy = { baseSeconds: 60, maxSeconds: 3600 };
const now = new Date('2025-01-01T00:00:00Z');
const far = new Date('2025-02-01T00:00:00Z');
const mid = () => 0.5; // no jitter

describe('nextAttemptAt', () => {
  it('doubles from the base per attempt', () => {
    expect(nextAttemptAt(1, now, far, policy, mid)!.getTime() - now.getTime()).toBe(60_000);
    expect(nextAttemptAt(2, now, far, policy, mid)!.getTime() - now.getTime()).toBe(120_000);
    expect(nextAttemptAt(4, now, far, policy, mid)!.getTime() - now.getTime()).toBe(480_000);
  });
  it('stops growing at the maximum', () => {
    expect(nextAttemptAt(40, now, far, policy, mid)!.getTime() - now.getTime()).toBe(3_600_000);
    expect(nextAttemptAt(40, now, far, policy, () => 1)!.getTime() - now.getTime()).toBe(3_600_000);
  });
  it('jitters within ±20 %', () => {
    expect(nextAttemptAt(1, now, far, policy, () => 0)!.getTime() - now.getTime()).toBe(48_000);
    expect(nextAttemptAt(1, now, far, policy, () => 1)!.getTime() - now.getTime()).toBe(72_000);
  });
  it('never schedules past the end of the lifetime, and gives up after it', () => {
    const soon = new Date(now.getTime() + 10_000);
    expect(nextAttemptAt(3, now, soon, policy, mid)).toEqual(soon);
    expect(nextAttemptAt(3, soon, soon, policy, mid)).toBeNull();
    expect(nextAttemptAt(3, far, soon, policy, mid)).toBeNull();
  });
});

describe('retryAfter', () => {
  const full = { ...policy, greylistSeconds: 300, slowDownSeconds: 600 };
  const zero = () => 0;

  it('comes back after the greylist delay, never earlier, for the first few greylisted attempts', () => {
    expect(retryAfter('greylist', 1, now, far, full, zero)!.getTime() - now.getTime()).toBe(300_000);
    expect(retryAfter('greylist', 3, now, far, full, () => 1)!.getTime() - now.getTime()).toBe(360_000);
    // later, the ordinary backoff (60 s × 2^9, capped at an hour) takes over
    expect(retryAfter('greylist', 10, now, far, full, mid)!.getTime() - now.getTime()).toBe(3_600_000);
  });

  it('waits at least the slow-down period after a rate-limit reply', () => {
    expect(retryAfter('slow-down', 1, now, far, full, zero)!.getTime() - now.getTime()).toBe(600_000);
    expect(retryAfter('slow-down', 10, now, far, full, mid)!.getTime() - now.getTime()).toBe(3_600_000);
  });

  it('follows the backoff otherwise, and stops at the end of the lifetime', () => {
    expect(retryAfter('backoff', 2, now, far, full, mid)!.getTime() - now.getTime()).toBe(120_000);
    expect(retryAfter('greylist', 1, now, new Date(now.getTime() + 10_000), full, zero)!.getTime()).toBe(now.getTime() + 10_000);
    expect(retryAfter('greylist', 1, far, far, full, zero)).toBeNull();
  });
});
