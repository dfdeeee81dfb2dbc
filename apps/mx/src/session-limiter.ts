/**
 * Open SMTP sessions per client address. A session is counted once, when it
 * is admitted, and released once, whichever way it ends (QUIT, timeout, reset,
 * refusal), so the count cannot drift.
 */
export class SessionLimiter {
  private readonly perIp = new Map<string, number>();
  private readonly admitted = new Map<string, string>(); // session id → ip

  constructor(private readonly maxPerIp: number) {}

  openFrom(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  get total(): number {
    return this.admitted.size;
  }

  /** Counts the session if the address is under its limit; false means refuse it. */
  tryAdmit(sessionId: string, ip: string): boolean {
    if (this.admitted.has(sessionId)) return true;
    const n = this.openFrom(ip);
    if (n >= this.maxPerIp) return false;
    this.perIp.set(ip, n + 1);
    this.admitted.set(sessionId, ip);
    return true;
  }

  /** True when the session had been admitted (and is now released). */
  release(sessionId: string): boolean {
    const ip = this.admitted.get(sessionId);
    if (ip === undefined) return false;
    this.admitted.delete(sessionId);
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
    return true;
  }
}
