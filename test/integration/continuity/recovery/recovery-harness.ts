import { randomUUID } from 'node:crypto';
import { createServer, Server, Socket } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import type { ContinuityMode } from '@app/tenants';
import type { TransitionRecord } from '@app/continuity';
import { HoldAndReplayEffect } from '@app/continuity/recovery';
import { withDb } from '../../../support/factories';

/**
 * A committed transition followed by the hold-and-replay effect, as the
 * continuity service's effect runner applies it: a compare-and-set of the
 * tenant's mode, then effect.apply(record).
 */
export async function transition(app: INestApplication, tenantId: string, from: ContinuityMode, to: ContinuityMode): Promise<TransitionRecord> {
  const changed = await withDb(async (db) => (await db.query(`UPDATE tenants SET mode = $3, updated_at = now() WHERE id = $1 AND mode = $2 RETURNING updated_at`, [tenantId, from, to])).rows[0]);
  if (!changed) throw new Error(`tenant ${tenantId} was not in mode ${from}`);
  const record: TransitionRecord = { id: randomUUID(), tenantId, fromMode: from, toMode: to, event: 'test', actor: 'test', reason: 'integration test', drillMailboxIds: null, createdAt: new Date(changed.updated_at) };
  await app.get(HoldAndReplayEffect).apply(record);
  return record;
}

export async function modeOf(tenantId: string): Promise<string> {
  return withDb(async (db) => (await db.query(`SELECT mode FROM tenants WHERE id = $1`, [tenantId])).rows[0].mode);
}

export interface HeldRow { recipient: string; state: string; attempts: number; held_at: Date | null; held_remaining_seconds: number | null; expires_at: Date; released_at: Date | null; purpose: string; last_reply: string | null; dsn_queue_id: string | null }

export async function rowsOf(messageId: string): Promise<HeldRow[]> {
  return withDb(async (db) => (await db.query(`SELECT recipient, state, attempts, held_at, held_remaining_seconds, expires_at, released_at, purpose, last_reply, dsn_queue_id FROM deliveries WHERE message_id = $1 ORDER BY purpose, recipient`, [messageId])).rows);
}

/**
 * An upstream that accepts a connection and says nothing until told, then
 * answers 421: an attempt that is in flight while the tenant is switched over.
 */
export async function startStallingUpstream(): Promise<{ port: number; connected: Promise<void>; answer(): void; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let onConnect!: () => void;
  const connected = new Promise<void>((r) => (onConnect = r));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    onConnect();
    void released.then(() => s.end('421 4.3.2 Service not available, closing transmission channel\r\n'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    connected,
    answer: () => release(),
    stop: async () => {
      release();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Pairs out of order between two sequences of the same items (0 = same order). */
export function inversions<T>(expected: T[], actual: T[]): number {
  const pos = new Map(expected.map((x, i) => [x, i]));
  const seq = actual.map((x) => pos.get(x) ?? -1);
  let n = 0;
  for (let i = 0; i < seq.length; i++) for (let j = i + 1; j < seq.length; j++) if (seq[i] > seq[j]) n++;
  return n;
}
