import { roundMs, summarizeTexts, upstreamState } from './continuity-figures';

describe('summarizeTexts', () => {
  const base = { segmentsPerSecond: 1, capPerHour: 1000, usedThisHour: 0 };

  it('estimates the drain time at the sender rate, two segments per text', () => {
    const s = summarizeTexts({ ...base, counts: { queued: 90, sending: 10, sent: 5 } });
    expect(s.remaining).toBe(100);
    expect(s.sendRatePerSecond).toBe(0.5);
    expect(s.estimatedSecondsUntilAllSent).toBe(200);
    expect(s.blockedByCap).toBe(0);
    expect(s.sent).toBe(5);
    expect(s.delivered).toBe(0);
  });

  it('says zero when nothing is left', () => {
    expect(summarizeTexts({ ...base, counts: { delivered: 3 } }).estimatedSecondsUntilAllSent).toBe(0);
  });

  it('reports texts the hourly cap will stop instead of a longer wait', () => {
    const s = summarizeTexts({ ...base, capPerHour: 100, usedThisHour: 60, counts: { queued: 50, sending: 5 } });
    expect(s.capRemainingThisHour).toBe(40);
    expect(s.blockedByCap).toBe(10);
    expect(s.estimatedSecondsUntilAllSent).toBeNull();
  });

  it('never reports a negative room under the cap', () => {
    const s = summarizeTexts({ ...base, capPerHour: 10, usedThisHour: 25, counts: { queued: 1 } });
    expect(s.capRemainingThisHour).toBe(0);
    expect(s.blockedByCap).toBe(1);
  });

  it('ignores states it does not know and bad numbers', () => {
    const s = summarizeTexts({ ...base, counts: { queued: -4, weird: 7, failed: 2.9 } });
    expect(s.queued).toBe(0);
    expect(s.failed).toBe(2);
    expect('weird' in s).toBe(false);
  });
});

describe('upstreamState and roundMs', () => {
  it('reads the streak', () => {
    expect(upstreamState(null)).toBe('unknown');
    expect(upstreamState(true)).toBe('healthy');
    expect(upstreamState(false)).toBe('failing');
  });
  it('rounds what Postgres returns as strings', () => {
    expect(roundMs('1234.56')).toBe(1235);
    expect(roundMs(null)).toBeNull();
    expect(roundMs('x')).toBeNull();
  });
});
