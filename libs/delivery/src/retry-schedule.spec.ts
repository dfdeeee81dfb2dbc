import { nextAttemptAt } from './retry-schedule';

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
