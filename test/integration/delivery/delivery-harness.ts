import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { loadConfig, AppConfig } from '@app/config';
import { deliveryJobId, QueueName } from '@app/queues';
import { startWorker, RunningWorker } from '../../../apps/worker/src/worker.bootstrap';
import { withDb } from '../../support/factories';

/**
 * Runs the worker in-process with test settings: fast retries and sweeps,
 * ephemeral HTTP port, and the given static routes. A file may pass its own
 * Redis prefix (under this run's prefix) so its worker never sees another
 * file's jobs.
 */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    ...process.env,
    WORKER_HTTP_PORT: '0',
    MX_HOSTNAME: 'mx.delivery-test.localhost',
    RETRY_BASE_SECONDS: '1',
    RETRY_MAX_SECONDS: '2',
    SWEEP_INTERVAL_MS: '250',
    DELIVERY_LEASE_SECONDS: '30',
    SMTP_CONNECT_TIMEOUT_MS: '3000',
    SMTP_COMMAND_TIMEOUT_MS: '10000',
    WORKER_CONCURRENCY: '8',
    RETENTION_INTERVAL_MS: '86400000',
    SHUTDOWN_GRACE_MS: '5000',
    ...overrides,
  });
}

export async function startTestWorker(cfg: AppConfig): Promise<RunningWorker> {
  return startWorker(cfg);
}

/** What the MX does after commit: one delivery job per message. */
export async function enqueueDelivery(cfg: AppConfig, messageId: string, tenantId: string, dueAt = new Date()): Promise<void> {
  const conn = new IORedis(cfg.REDIS_URL, { maxRetriesPerRequest: 3 });
  const q = new Queue(QueueName.Delivery, { connection: conn, prefix: cfg.REDIS_PREFIX });
  try {
    await q.add('deliver-message', { messageId, tenantId }, { jobId: deliveryJobId(messageId, dueAt), removeOnComplete: true, removeOnFail: 1000 });
  } finally {
    await q.close();
    conn.disconnect();
  }
}

export interface DeliveryRow { recipient: string; state: string; attempts: number; last_reply: string | null; last_route: string | null; dsn_queue_id: string | null; delivered_at: Date | null; lease_owner: string | null }

export async function deliveriesOf(messageId: string): Promise<DeliveryRow[]> {
  return withDb(async (db) => (await db.query(`SELECT recipient, state, attempts, last_reply, last_route, dsn_queue_id, delivered_at, lease_owner FROM deliveries WHERE message_id = $1 ORDER BY recipient`, [messageId])).rows);
}

export async function dsnMessagesOf(tenantId: string): Promise<{ id: string; queue_id: string; mail_from: string; rcpt_to: string[]; blob_key: string }[]> {
  return withDb(async (db) => (await db.query(`SELECT id, queue_id, mail_from, rcpt_to, blob_key FROM messages WHERE tenant_id = $1 AND direction = 'dsn' ORDER BY created_at`, [tenantId])).rows);
}

/** Ends a test's leftovers so later tests' workers do not keep retrying them. */
export async function settleTenant(tenantId: string): Promise<void> {
  await withDb((db) => db.query(`UPDATE deliveries SET state = 'bounced', dsn_queue_id = NULL WHERE tenant_id = $1 AND state IN ('queued','deferred')`, [tenantId]));
}

export async function setMessageFlags(messageId: string, flags: { body8bitmime?: boolean; smtputf8?: boolean; expiresInSeconds?: number }): Promise<void> {
  await withDb(async (db) => {
    if (flags.body8bitmime !== undefined || flags.smtputf8 !== undefined) {
      await db.query(`UPDATE messages SET body_8bitmime = COALESCE($2, body_8bitmime), smtputf8 = COALESCE($3, smtputf8) WHERE id = $1`, [messageId, flags.body8bitmime ?? null, flags.smtputf8 ?? null]);
    }
    if (flags.expiresInSeconds !== undefined) {
      await db.query(`UPDATE deliveries SET expires_at = now() + make_interval(secs => $2) WHERE message_id = $1`, [messageId, flags.expiresInSeconds]);
    }
  });
}

/** Line-ending canonical form for comparing what was stored with what arrived. */
export function crlf(b: Buffer | string): Buffer {
  return Buffer.from(Buffer.from(b).toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

/** Splits a multipart/report DSN into its parts (header block and body per part). */
export function dsnParts(raw: Buffer): { headers: string; parts: { headers: string; body: string }[] } {
  const text = raw.toString('utf8');
  const [head] = text.split('\r\n\r\n', 1);
  const boundary = /boundary="([^"]+)"/.exec(head)?.[1];
  if (!boundary) throw new Error('no boundary in DSN');
  const chunks = text.split(`--${boundary}`).slice(1, -1);
  return {
    headers: head,
    parts: chunks.map((c) => {
      const body = c.replace(/^\r\n/, '');
      const i = body.indexOf('\r\n\r\n');
      return { headers: body.slice(0, i), body: body.slice(i + 4) };
    }),
  };
}
