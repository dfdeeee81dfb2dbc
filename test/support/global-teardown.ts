import { Client } from 'pg';
import IORedis from 'ioredis';
import { rmSync } from 'node:fs';

/** Drops what global-setup made, unless KEEP_TEST_DATA is set for a post-mortem. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __mcTestDns?: { stop(): Promise<void> } }).__mcTestDns?.stop();
  if (!process.env.MC_TEST_RUN || process.env.KEEP_TEST_DATA) return;
  const url = new URL(process.env.DATABASE_URL as string);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
  const redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${process.env.REDIS_PREFIX}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  if (process.env.DATA_DIR) rmSync(process.env.DATA_DIR, { recursive: true, force: true });
}
