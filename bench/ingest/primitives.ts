import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { FsBlobStore } from '../../libs/blob-store/src/fs-blob-store';
import { percentile } from './stats';

export interface PrimitiveResult {
  name: string;
  concurrency: number;
  ops: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * The per-message costs of durable acceptance, measured without SMTP: what
 * the relay's ceiling is on this disk and this Postgres, and what batching
 * could gain. Each primitive runs `ops` times at concurrency 1 and 20.
 */
export async function measurePrimitives(opts: { dataDir: string; dbUrl: string; redisUrl: string; tenantId: string; mailboxId: string; ops: number }): Promise<PrimitiveResult[]> {
  const body = Buffer.alloc(10240, 'x');
  const store = new FsBlobStore(join(opts.dataDir, 'blobs'), true);
  const clients: Client[] = [];
  for (let i = 0; i < 20; i++) {
    const c = new Client({ connectionString: opts.dbUrl });
    await c.connect();
    clients.push(c);
  }
  const redis = new IORedis(opts.redisUrl, { maxRetriesPerRequest: 3 });
  const queue = new Queue('bench-primitives', { connection: redis as never, prefix: 'mcbench' });
  const qid = () => randomBytes(8).toString('hex').toUpperCase();

  const blob = async () => {
    const w = store.createWriter(`${opts.tenantId}/${qid()}`);
    w.write(body);
    await w.commit();
  };
  const tx = async (c: Client) => {
    const q = qid();
    await c.query('BEGIN');
    const m = await c.query(
      `INSERT INTO messages (tenant_id, queue_id, direction, blob_key, size_bytes, mail_from, rcpt_to, received_at) VALUES ($1,$2,'inbound',$3,10240,'a@source.example',$4,now()) RETURNING id`,
      [opts.tenantId, q, `${opts.tenantId}/${q}`, ['rcpt@bench.example']],
    );
    await c.query(`INSERT INTO deliveries (tenant_id, message_id, recipient, route_kind, expires_at) VALUES ($1,$2,'rcpt@bench.example','upstream', now() + interval '5 days')`, [opts.tenantId, m.rows[0].id]);
    await c.query(`INSERT INTO mirror_entries (tenant_id, mailbox_id, message_id, folder, received_at) VALUES ($1,$2,$3,'inbox',now())`, [opts.tenantId, opts.mailboxId, m.rows[0].id]);
    await c.query('COMMIT');
    return m.rows[0].id as string;
  };
  const add = async (id = qid()) => {
    await queue.add('deliver', { messageId: id }, { jobId: `delivery:${id}:0`, removeOnComplete: true });
  };

  const runOne = async (name: string, concurrency: number, op: (worker: number) => Promise<unknown>): Promise<PrimitiveResult> => {
    const lat: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        while (next < opts.ops) {
          next++;
          const s = performance.now();
          await op(w);
          lat.push(performance.now() - s);
        }
      }),
    );
    const wall = performance.now() - t0;
    return { name, concurrency, ops: opts.ops, perSec: opts.ops / (wall / 1000), p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) };
  };

  const out: PrimitiveResult[] = [];
  try {
    for (const conc of [1, 20]) {
      out.push(await runOne('blob write 10 KB + fsync + rename + dir fsync', conc, () => blob()));
      out.push(await runOne('Postgres transaction: message + delivery + mirror entry, commit', conc, (w) => tx(clients[w])));
      out.push(await runOne('BullMQ add (jobId)', conc, () => add()));
      out.push(await runOne('all three in sequence (the durable path without SMTP)', conc, async (w) => {
        await blob();
        await add(await tx(clients[w]));
      }));
    }
  } finally {
    await queue.close();
    redis.disconnect();
    await Promise.all(clients.map((c) => c.end()));
  }
  return out;
}
