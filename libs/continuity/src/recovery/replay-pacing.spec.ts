import { releaseAllowance, replayEtaSeconds } from './replay-pacing';

describe('releaseAllowance', () => {
  const t0 = new Date(Date.UTC(2026, 0, 1));
  const at = (ms: number) => new Date(t0.getTime() + ms);

  it('releases one message at once when the replay starts', () => {
    const a = releaseAllowance(t0, null, 20, 1000);
    expect(a.count).toBe(1);
    expect(a.nextReleaseAt(1)).toEqual(at(50));
  });

  it('releases rate × elapsed messages, no more', () => {
    const a = releaseAllowance(at(500), at(50), 20, 1000);
    // due at 50, 100, …, 500 → 10 messages
    expect(a.count).toBe(10);
    expect(a.nextReleaseAt(10)).toEqual(at(550));
  });

  it('releases nothing before the next slot', () => {
    const a = releaseAllowance(at(40), at(50), 20, 1000);
    expect(a.count).toBe(0);
    expect(a.nextReleaseAt(0)).toEqual(at(50));
  });

  it('keeps the schedule where the work ran out, so fewer releases book less time', () => {
    const a = releaseAllowance(at(1000), at(0), 10, 1000);
    expect(a.count).toBe(11);
    expect(a.nextReleaseAt(3)).toEqual(at(300));
  });

  it('caps a catch-up after a stall at one burst', () => {
    const a = releaseAllowance(at(60_000), at(0), 10, 1000);
    expect(a.count).toBe(11); // one second of backlog plus the current slot
  });

  it('never exceeds the batch limit', () => {
    expect(releaseAllowance(at(1000), at(0), 10_000, 500).count).toBe(500);
  });

  it('sustains the configured rate over many ticks', () => {
    let scheduled: Date | null = null;
    let released = 0;
    for (let ms = 0; ms <= 10_000; ms += 170) {
      const a = releaseAllowance(at(ms), scheduled, 7, 1000);
      released += a.count;
      scheduled = a.nextReleaseAt(a.count);
    }
    expect(released).toBeGreaterThanOrEqual(70);
    expect(released).toBeLessThanOrEqual(72);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => releaseAllowance(t0, null, 0, 10)).toThrow();
  });
});

describe('replayEtaSeconds', () => {
  it('is the held count over the rate, rounded up', () => {
    expect(replayEtaSeconds(0, 20)).toBe(0);
    expect(replayEtaSeconds(50_000, 20)).toBe(2500);
    expect(replayEtaSeconds(3, 2)).toBe(2);
  });
});
