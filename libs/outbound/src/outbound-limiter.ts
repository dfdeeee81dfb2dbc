import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import IORedis, { Redis } from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/config';

export const OUTBOUND_LIMITER = Symbol('OUTBOUND_LIMITER');

/**
 * Counters that must hold across MX replicas: per-tenant token buckets for
 * outbound messages and recipients, and failed SMTP AUTH attempts per client
 * address. Errors propagate: the caller answers 451, never lets mail through
 * unmetered.
 */
export interface OutboundLimiter {
  /** Takes `cost` tokens from a bucket that holds `perMinute` and refills at `perMinute` a minute; false if too few are left. */
  take(bucket: string, perMinute: number, cost?: number): Promise<boolean>;
  /** Counts one failed AUTH from `ip`; returns the failures within the window, this one included. */
  recordAuthFailure(ip: string): Promise<number>;
  authFailures(ip: string): Promise<number>;
}

/**
 * A token bucket in one Lua script, so concurrent sessions on several MX
 * replicas cannot both take the last token. Redis' own clock is used: the
 * replicas' clocks may differ. State: tokens and the time they were counted.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local capacity = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local period = 60000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then tokens = capacity; at = now end
tokens = math.min(capacity, tokens + math.max(0, now - at) * capacity / period)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], period * 2)
return allowed
`;

/** Failed AUTH attempts are remembered this long per client address. */
export const AUTH_FAILURE_WINDOW_SECONDS = 900;

@Injectable()
export class RedisOutboundLimiter implements OutboundLimiter, OnApplicationShutdown {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(@Inject(APP_CONFIG) cfg: AppConfig) {
    // Connected on first use: most MX sessions are inbound mail and never ask. With Redis away a
    // command fails within the timeout and the client hears 451 instead of waiting.
    this.redis = new IORedis(cfg.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: 3000 });
    this.redis.on('error', () => undefined); // surfaced as failed commands, answered 451
    this.prefix = `${cfg.REDIS_PREFIX}:outbound`;
  }

  async take(bucket: string, perMinute: number, cost = 1): Promise<boolean> {
    const r = await this.redis.eval(TAKE, 1, `${this.prefix}:rate:${bucket}`, String(perMinute), String(cost));
    return Number(r) === 1;
  }

  async recordAuthFailure(ip: string): Promise<number> {
    const key = `${this.prefix}:auth-fail:${ip}`;
    const [[, n]] = (await this.redis.multi().incr(key).expire(key, AUTH_FAILURE_WINDOW_SECONDS, 'NX').exec()) as Array<[Error | null, number]>;
    return Number(n);
  }

  async authFailures(ip: string): Promise<number> {
    return Number((await this.redis.get(`${this.prefix}:auth-fail:${ip}`)) ?? 0);
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
