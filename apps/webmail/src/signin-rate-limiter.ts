import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Queues } from '@app/queues';

/**
 * Fixed one-hour windows in Redis for employees' own credential requests, per
 * address (so nobody can flood a colleague's phone) and per client address;
 * and, with limits of their own, for code and password sign-in attempts.
 * Addresses are hashed so Redis holds no directory.
 */
@Injectable()
export class SigninRateLimiter {
  constructor(
    @Inject(APP_CONFIG)
    private readonly cfg: Pick<
      AppConfig,
      'SIGNIN_REQUESTS_PER_ADDRESS_PER_HOUR' | 'SIGNIN_REQUESTS_PER_IP_PER_HOUR' | 'WEBMAIL_SIGNIN_ATTEMPTS_PER_IP_PER_HOUR' | 'WEBMAIL_SIGNIN_ATTEMPTS_PER_ADDRESS_PER_HOUR' | 'REDIS_PREFIX'
    >,
    private readonly queues: Queues,
  ) {}

  allowIp(ip: string): Promise<boolean> {
    return this.hit(`ip.${ip}`, this.cfg.SIGNIN_REQUESTS_PER_IP_PER_HOUR);
  }

  allowAddress(address: string): Promise<boolean> {
    return this.hit(`addr.${createHash('sha256').update(address.trim().toLowerCase()).digest('hex')}`, this.cfg.SIGNIN_REQUESTS_PER_ADDRESS_PER_HOUR);
  }

  /** Code and password sign-in attempts (and password changes) from one client address. */
  allowSigninIp(ip: string): Promise<boolean> {
    return this.hit(`attempt-ip.${ip}`, this.cfg.WEBMAIL_SIGNIN_ATTEMPTS_PER_IP_PER_HOUR);
  }

  /** Code and password sign-in attempts for one e-mail address, known or not. */
  allowSigninAddress(address: string): Promise<boolean> {
    return this.hit(`attempt-addr.${createHash('sha256').update(address.trim().toLowerCase()).digest('hex')}`, this.cfg.WEBMAIL_SIGNIN_ATTEMPTS_PER_ADDRESS_PER_HOUR);
  }

  private async hit(what: string, limit: number): Promise<boolean> {
    const window = Math.floor(Date.now() / 3600_000);
    const key = `${this.cfg.REDIS_PREFIX}:signin-rate:${what}:${window}`;
    const n = await this.queues.connection.incr(key);
    if (n === 1) await this.queues.connection.expire(key, 3700);
    return n <= limit;
  }
}
