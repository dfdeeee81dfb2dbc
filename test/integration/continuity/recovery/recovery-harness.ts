import { createServer, Server, Socket } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import type { ContinuityMode } from '@app/tenants';
import { ContinuityService, TransitionRecord } from '@app/continuity';
import { waitFor, withDb } from '../../../support/factories';

/**
 * A transition made by the continuity service, as an operator would ask for
 * it (activate, end), once the worker has applied its effects.
 */
export async function transition(app: INestApplication, tenantId: string, from: ContinuityMode, to: ContinuityMode): Promise<TransitionRecord> {
  const continuity = app.get(ContinuityService);
  let record: TransitionRecord;
  if (from === 'normal' && to === 'active') record = await continuity.activate(tenantId, 'operator:test', 'integration test');
  else if (from === 'active' && to === 'recovering') record = await continuity.end(tenantId, 'operator:test', 'integration test');
  else throw new Error(`no operator request for ${from} → ${to}`);
  await waitFor(
    async () => withDb(async (db) => (await db.query(`SELECT effects_completed_at FROM continuity_transitions WHERE id = $1`, [record.id])).rows[0]?.effects_completed_at),
    { what: `effects of ${from} → ${to}`, timeoutMs: 20000 },
  );
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
