import { SessionLimiter } from './session-limiter';

describe('SessionLimiter', () => {
  it('admits up to the limit per address and recovers when sessions end', () => {
    const l = new SessionLimiter(2);
    expect(l.tryAdmit('s1', '192.0.2.1')).toBe(true);
    expect(l.tryAdmit('s2', '192.0.2.1')).toBe(true);
    expect(l.tryAdmit('s3', '192.0.2.1')).toBe(false);
    expect(l.tryAdmit('s4', '192.0.2.2')).toBe(true);
    l.release('s1');
    expect(l.tryAdmit('s5', '192.0.2.1')).toBe(true);
    expect(l.openFrom('192.0.2.1')).toBe(2);
  });

  it('releases each session once and ignores sessions it never admitted', () => {
    const l = new SessionLimiter(1);
    l.tryAdmit('s1', '192.0.2.1');
    l.release('s1');
    l.release('s1');
    l.release('never');
    expect(l.openFrom('192.0.2.1')).toBe(0);
    expect(l.total).toBe(0);
  });
});
