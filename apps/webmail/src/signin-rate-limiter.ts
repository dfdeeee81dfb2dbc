import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Queues } from '@app/queues';

/**
 * Fixed one-hour windows in Redis for employees' own credential requests, per
 * address (so nobody can flood a colleague's phone) and per client address.
 * Addresses are hashed so Redis holds no directory.
 */
@Injectable()
export class SigninRateLimiter {
  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'SIGNIN_REQUESTS_PER_ADDRESS_PER_HOUR' | 'SIGNIN_REQUESTS_PER_IP_PER_HOUR' | 'REDIS_PREFIX'>,
    private readonly queues: Queues,
  ) {}

  allowIp(ip: string): Promise<boolean> {
    return this.hit(`ip.${ip}`, this.cfg.SIGNIN_REQUESTS_PER_IP_PER_HOUR);
  }

  allowAddress(address: string): Promise<boolean> {
    return this.hit(`addr.${createHash('sha256').update(address.trim().toLowerCase()).digest('hex')}`, this.cfg.SIGNIN_REQUESTS_PER_ADDRESS_PER_HOUR);
  }

  private async hit(what: string, limit: number): Promise<boolean> {
    const window = Math.floor(Date.now() / 3600_000);
    const key = `${this.cfg.REDIS_PREFIX}:signin-rate:${what}:${window}`;
    const n = await this.queues.connection.incr(key);
    if (n === 1) await this.queues.connection.expire(key, 3700);
    return n <= limit;
  }
}
