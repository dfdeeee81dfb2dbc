/**
 * Per-destination connection limits of one worker process: at most `max`
 * transactions at once with one destination host, and one at a time while
 * the destination has asked us to slow down. Waiters are served in arrival
 * order. In-process by design: with N workers a destination sees at most
 * N × max connections, which keeps the limit free of a Redis round trip per
 * transaction (a shared counter would need leases of its own to survive a
 * crashed worker).
 */
export class DestinationLimiter {
  private readonly state = new Map<string, { active: number; slowUntil: number; waiters: { grant: () => void }[] }>();

  constructor(private readonly max: number, private readonly now: () => number = Date.now) {}

  limitOf(key: string): number {
    const s = this.state.get(key);
    return s && s.slowUntil > this.now() ? 1 : this.max;
  }

  active(key: string): number {
    return this.state.get(key)?.active ?? 0;
  }

  /** A slot for `key`, or null when none came free within `waitMs`. Call the returned function once to give it back. */
  acquire(key: string, waitMs: number): Promise<(() => void) | null> {
    const s = this.entry(key);
    if (s.active < this.limitOf(key) && s.waiters.length === 0) {
      s.active++;
      return Promise.resolve(this.releaser(key));
    }
    return new Promise((resolve) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve(this.releaser(key));
        },
      };
      const timer = setTimeout(() => {
        const i = s.waiters.indexOf(waiter);
        if (i >= 0) s.waiters.splice(i, 1);
        this.cleanup(key);
        resolve(null);
      }, waitMs);
      timer.unref?.();
      s.waiters.push(waiter);
    });
  }

  /** The destination asked for less (a rate-limit reply): one connection at a time until `untilMs`. */
  slowDown(key: string, untilMs: number): void {
    const s = this.entry(key);
    s.slowUntil = Math.max(s.slowUntil, untilMs);
  }

  private releaser(key: string): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const s = this.entry(key);
      s.active--;
      while (s.waiters.length && s.active < this.limitOf(key)) {
        s.active++;
        (s.waiters.shift() as { grant: () => void }).grant();
      }
      this.cleanup(key);
    };
  }

  private entry(key: string) {
    let s = this.state.get(key);
    if (!s) {
      s = { active: 0, slowUntil: 0, waiters: [] };
      this.state.set(key, s);
    }
    return s;
  }

  /** Forgets idle destinations so the map does not grow with every domain ever mailed. */
  private cleanup(key: string): void {
    const s = this.state.get(key);
    if (s && s.active === 0 && s.waiters.length === 0 && s.slowUntil <= this.now()) this.state.delete(key);
  }
}
