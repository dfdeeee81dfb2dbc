import { Injectable } from '@nestjs/common';
import { Queues } from '@app/queues';

export interface RateVerdict {
  allowed: boolean;
  /** Seconds until the window ends (for Retry-After). */
  retryAfter: number;
  count: number;
}

/**
 * Fixed-window counters in Redis under REDIS_PREFIX, shared by every api
 * process: sign-in attempts per address and per account, TOTP failures, and
 * changes per principal.
 */
@Injectable()
export class RateCounter {
  constructor(private readonly queues: Queues) {}

  private key(name: string, windowSeconds: number, now: number): { key: string; retryAfter: number } {
    const windowIndex = Math.floor(now / 1000 / windowSeconds);
    const retryAfter = Math.max(1, Math.ceil((windowIndex + 1) * windowSeconds - now / 1000));
    return { key: `${this.queues.prefix}:admin-rate:${name}:${windowSeconds}:${windowIndex}`, retryAfter };
  }

  /** Counts one more and says whether it is within `limit`. */
  async hit(name: string, windowSeconds: number, limit: number): Promise<RateVerdict> {
    const { key, retryAfter } = this.key(name, windowSeconds, Date.now());
    const count = await this.queues.connection.incr(key);
    if (count === 1) await this.queues.connection.expire(key, windowSeconds + 5);
    return { allowed: count <= limit, retryAfter, count };
  }

  /** Whether `limit` is already used up, without counting. */
  async exhausted(name: string, windowSeconds: number, limit: number): Promise<RateVerdict> {
    const { key, retryAfter } = this.key(name, windowSeconds, Date.now());
    const count = Number((await this.queues.connection.get(key)) ?? 0);
    return { allowed: count < limit, retryAfter, count };
  }

  async clear(name: string, windowSeconds: number): Promise<void> {
    await this.queues.connection.del(this.key(name, windowSeconds, Date.now()).key);
  }
}
