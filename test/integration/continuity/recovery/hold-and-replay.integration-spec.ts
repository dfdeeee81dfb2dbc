import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';
import { Queues } from '@app/queues';
import { blobKey, FsBlobStore } from '@app/blob-store';
import { MessageAcceptance } from '@app/messages';
import { ReconciliationService } from '@app/continuity/recovery';
import { createTestTenant, insertTestMessage, uniqueLabel, waitFor, withDb } from '../../../support/factories';
import { freePort } from '../../../support/processes';
import { startStandinUpstream, StandinUpstream } from '../../../support/standin';
import { RunningWorker } from '../../../../apps/worker/src/worker.bootstrap';
import { enqueueDelivery, settleTenant, startTestWorker, testConfig } from '../../delivery/delivery-harness';
import { inversions, modeOf, rowsOf, startStallingUpstream, transition } from './recovery-harness';

const RATE = 5;

/** Runs the operator CLI in-process and returns what it printed on stdout. */
async function cliOutput(args: string[]): Promise<string> {
  const { run } = await import('../../../../apps/cli/src/main');
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await run(['node', 'cli', ...args]);
    if (code !== 0) throw new Error(`cli ${args.join(' ')} exited ${code}: ${out}`);
  } finally {
    process.stdout.write = write;
  }
  return out;
}
jest.setTimeout(45_000);

/**
 * Holding while a tenant is in continuity mode, and the replay when it
 * ends: against the real worker (in-process), Postgres, Redis and stand-in
 * upstreams on loopback sockets. Transitions are made as the continuity
 * service makes them: compare-and-set of the mode, then the effect.
 */
describe('continuity: holding and replay', () => {
  const prefix = `${process.env.REDIS_PREFIX}:recovery`;
  let cfg: AppConfig;
  let worker: RunningWorker;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    cfg = testConfig({ REDIS_PREFIX: prefix, REPLAY_TICK_MS: '100', REPLAY_RATE_PER_UPSTREAM: String(RATE), REPLAY_BATCH_SIZE: '100' });
    worker = await startTestWorker(cfg);
  });

  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    await worker?.stop();
  });

  const report = (tenantId: string) => worker.app.get(ReconciliationService).report(tenantId);

  it('holds queued and deferred deliveries on activation, freezes their lifetime, and sends no DSN past the original expiry', async () => {
    const senderSink = await startStandinUpstream();
    cleanup.push(() => senderSink.stop());
    const t = await createTestTenant({ mailboxes: ['ann', 'bob'], upstreams: [{ host: '127.0.0.1', port: await freePort() }] });
    const sender = `someone@${uniqueLabel('ext')}.example`;
    const deferred = await insertTestMessage(t, { raw: `Subject: before\r\n\r\nx\r\n`, mailFrom: sender, recipients: [t.mailboxes.ann.address] });
    await withDb((db) => db.query(`UPDATE deliveries SET expires_at = now() + interval '4 seconds' WHERE message_id = $1`, [deferred.messageId]));
    await enqueueDelivery(cfg, deferred.messageId, t.id);
    await waitFor(async () => (await rowsOf(deferred.messageId))[0].state === 'deferred', { what: 'a failed attempt' });
    // A second message that has not been attempted yet (due later).
    const queued = await insertTestMessage(t, { raw: `Subject: queued\r\n\r\nx\r\n`, mailFrom: sender, recipients: [t.mailboxes.bob.address] });
    await withDb((db) => db.query(`UPDATE deliveries SET next_attempt_at = now() + interval '1 hour' WHERE message_id = $1`, [queued.messageId]));
    const originalExpiry = new Date((await rowsOf(deferred.messageId))[0].expires_at).getTime();

    await transition(worker.app, t.id, 'normal', 'active');
    const [held] = await rowsOf(deferred.messageId);
    expect(held.state).toBe('held');
    expect(held.held_remaining_seconds).toBeGreaterThanOrEqual(0);
    expect(held.held_remaining_seconds).toBeLessThanOrEqual(4);
    expect((await rowsOf(queued.messageId))[0]).toMatchObject({ state: 'held' });
    const attemptsWhenHeld = held.attempts;

    // Well past the original expiry (and several sweeps), nothing was attempted, nothing expired, no DSN.
    await waitFor(() => Date.now() > originalExpiry + 3000, { timeoutMs: 10000, what: 'the original expiry to pass' });
    const later = (await rowsOf(deferred.messageId))[0];
    expect(later).toMatchObject({ state: 'held', attempts: attemptsWhenHeld, dsn_queue_id: null });
    const dsns = await withDb(async (db) => (await db.query(`SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1 AND direction = 'dsn'`, [t.id])).rows[0].n);
    expect(dsns).toBe(0);
    expect((await senderSink.received()).length).toBe(0);
    await settleTenant(t.id);
    await withDb((db) => db.query(`UPDATE deliveries SET state = 'bounced' WHERE tenant_id = $1 AND state = 'held'`, [t.id]));
    await withDb((db) => db.query(`UPDATE tenants SET mode = 'normal' WHERE id = $1`, [t.id]));
  });

  it('holds a delivery whose attempt was in flight when the tenant was switched over, instead of deferring it', async () => {
    const stalling = await startStallingUpstream();
    cleanup.push(() => stalling.stop());
    const t = await createTestTenant({ mailboxes: ['cy'], upstreams: [{ host: '127.0.0.1', port: stalling.port }] });
    const m = await insertTestMessage(t, { raw: `Subject: in flight\r\n\r\nx\r\n`, recipients: [t.mailboxes.cy.address] });
    await enqueueDelivery(cfg, m.messageId, t.id);
    await stalling.connected;
    await transition(worker.app, t.id, 'normal', 'active');
    stalling.answer();
    const row = await waitFor(async () => {
      const r = (await rowsOf(m.messageId))[0];
      return r.state !== 'queued' ? r : null;
    }, { what: 'the attempt to conclude' });
    expect(row.state).toBe('held');
    expect(row.last_reply).toMatch(/421 4\.3\.2/);
    expect(row.held_remaining_seconds).toBeGreaterThan(4 * 86400);
    await withDb((db) => db.query(`UPDATE deliveries SET state = 'bounced' WHERE tenant_id = $1`, [t.id]));
    await withDb((db) => db.query(`UPDATE tenants SET mode = 'normal' WHERE id = $1`, [t.id]));
  });

  it('records new mail for an active tenant as held at acceptance, and mirrors it; a drill holds nothing', async () => {
    const t = await createTestTenant({ mailboxes: ['dee'], upstreams: [{ host: '127.0.0.1', port: await freePort() }], deliveryLifetimeSeconds: 7200 });
    const acceptance = new MessageAcceptance(worker.app.get(DataSource), worker.app.get(Queues));
    const store = new FsBlobStore(join(cfg.DATA_DIR, 'blobs'));
    const accept = async (subject: string) => {
      const queueId = randomBytes(8).toString('hex').toUpperCase();
      const key = blobKey(t.id, queueId);
      const w = store.createWriter(key);
      w.write(Buffer.from(`Subject: ${subject}\r\n\r\nx\r\n`));
      const { size } = await w.commit();
      const [a] = await acceptance.accept([
        { tenantId: t.id, queueId, blobKey: key, sizeBytes: size, mailFrom: 'x@ext.example', recipients: [t.mailboxes.dee.address], mirrorMailboxIds: [t.mailboxes.dee.id], clientAddress: '127.0.0.1', clientHelo: 'c', body8bitmime: false, smtputf8: false, receivedAt: new Date(), deliveryLifetimeSeconds: 7200 },
      ]);
      return a.messageId;
    };
    await withDb((db) => db.query(`UPDATE tenants SET mode = 'drill' WHERE id = $1`, [t.id]));
    const inDrill = await accept('drill');
    expect((await rowsOf(inDrill))[0].state).not.toBe('held');
    await withDb((db) => db.query(`UPDATE tenants SET mode = 'normal' WHERE id = $1`, [t.id]));
    await transition(worker.app, t.id, 'normal', 'active');
    const during = await accept('during the outage');
    const [row] = await rowsOf(during);
    expect(row).toMatchObject({ state: 'held', held_remaining_seconds: 7200, attempts: 0 });
    const mirrored = await withDb(async (db) => (await db.query(`SELECT folder FROM mirror_entries WHERE message_id = $1 AND mailbox_id = $2`, [during, t.mailboxes.dee.id])).rows);
    expect(mirrored).toEqual([{ folder: 'inbox' }]);
    await withDb((db) => db.query(`UPDATE deliveries SET state = 'bounced' WHERE tenant_id = $1`, [t.id]));
    await withDb((db) => db.query(`UPDATE tenants SET mode = 'normal' WHERE id = $1`, [t.id]));
  });

  it('replays every held message FIFO at the configured rate, never re-sends a delivered recipient, copies sent mail back, and reports it', async () => {
    const port = await freePort();
    const dir = join(cfg.DATA_DIR, uniqueLabel('upstream'));
    const t = await createTestTenant({ mailboxes: ['ann', 'bob', 'cy'], upstreams: [{ host: '127.0.0.1', port }] });
    const { ann, bob, cy } = t.mailboxes;
    const ext = `${uniqueLabel('ext')}.example`;

    // Before the outage: one message reaches ann but not bob (451 for bob), one reaches cy.
    let up: StandinUpstream = await startStandinUpstream({ port, dir, tempFailRecipients: [bob.address] });
    const split = await insertTestMessage(t, { raw: `Subject: split\r\nMessage-ID: <split-${t.slug}@x>\r\n\r\nx\r\n`, mailFrom: `a@${ext}`, recipients: [ann.address, bob.address], mirrorMailboxIds: [ann.id, bob.id] });
    const early = await insertTestMessage(t, { raw: `Subject: early\r\nMessage-ID: <dup-${t.slug}@x>\r\n\r\nx\r\n`, mailFrom: `b@${ext}`, recipients: [cy.address], mirrorMailboxIds: [cy.id] });
    await enqueueDelivery(cfg, split.messageId, t.id);
    await enqueueDelivery(cfg, early.messageId, t.id);
    await waitFor(async () => {
      const rows = [...(await rowsOf(split.messageId)), ...(await rowsOf(early.messageId))];
      return rows.filter((r) => r.state === 'delivered').length === 2 && rows.some((r) => r.state === 'deferred');
    }, { what: 'ann and cy delivered, bob deferred' });
    await up.stop();

    // The outage.
    const activation = await transition(worker.app, t.id, 'normal', 'active');
    expect((await rowsOf(split.messageId)).find((r) => r.recipient === bob.address)?.state).toBe('held');
    const N = 10;
    const base = Date.now() + 1000;
    const order = [3, 7, 0, 9, 1, 5, 8, 2, 6, 4]; // inserted out of order; replay goes by arrival (received_at)
    const byIndex = new Map<number, string>();
    for (const i of order) {
      const m = await insertTestMessage(t, { raw: `Subject: held ${i}\r\nMessage-ID: <held-${i}-${t.slug}@x>\r\n\r\nx\r\n`, mailFrom: `c@${ext}`, recipients: [i % 2 ? ann.address : bob.address], mirrorMailboxIds: [i % 2 ? ann.id : bob.id], receivedAt: new Date(base + i * 10) });
      await withDb((db) => db.query(`UPDATE deliveries SET state = 'held', held_at = now(), held_remaining_seconds = 86400 WHERE message_id = $1`, [m.messageId]));
      byIndex.set(i, m.queueId);
    }
    // The same message as `early` (same Message-ID) arrives again for cy: cy already has it.
    const again = await insertTestMessage(t, { raw: `Subject: early\r\nMessage-ID: <dup-${t.slug}@x>\r\n\r\nx\r\n`, mailFrom: `b@${ext}`, recipients: [cy.address], mirrorMailboxIds: [cy.id], receivedAt: new Date(base + 500) });
    await withDb(async (db) => {
      await db.query(`UPDATE deliveries SET state = 'held', held_at = now(), held_remaining_seconds = 86400 WHERE message_id = $1`, [again.messageId]);
      await db.query(`UPDATE messages SET message_id_header = $2 WHERE id = ANY($1::uuid[])`, [[early.messageId, again.messageId], `dup-${t.slug}@x`]);
    });
    // ann sends a message during the outage (outbound, delivered to the internet).
    const sent = await insertTestMessage(t, { raw: `From: ${ann.address}\r\nSubject: sent during\r\n\r\nx\r\n`, mailFrom: ann.address, recipients: [`partner@${ext}`], direction: 'outbound', routeKind: 'internet', receivedAt: new Date(base + 600) });
    await withDb((db) => db.query(`UPDATE deliveries SET state = 'delivered', delivered_at = now() WHERE message_id = $1`, [sent.messageId]));

    // Exchange is back; the event ends.
    up = await startStandinUpstream({ port, dir });
    cleanup.push(() => up.stop());
    const before = (await up.received()).length;
    await transition(worker.app, t.id, 'active', 'recovering');
    await waitFor(async () => (await modeOf(t.id)) === 'normal', { timeoutMs: 30000, what: 'the replay to finish' });
    await waitFor(async () => (await withDb(async (db) => (await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE tenant_id = $1 AND state IN ('queued','deferred','held')`, [t.id])).rows[0].n)) === 0, { what: 'copies back delivered' });

    const got = (await up.received()).slice(before);
    const replayed = got.filter((g) => /Subject: held \d/.test(g.raw.toString()));
    expect(replayed).toHaveLength(N);
    // FIFO: arrival at Exchange follows arrival at our MX, approximately (a tick may hand two to parallel workers).
    const expected = [...Array(N).keys()].map((i) => `held ${i}`);
    const actual = replayed.map((g) => /Subject: (held \d)/.exec(g.raw.toString())![1]);
    expect(inversions(expected, actual)).toBeLessThanOrEqual(2);
    // Rate-limited: N messages at RATE per second cannot arrive faster than (N - 1) / RATE seconds apart.
    const spreadMs = new Date(replayed[N - 1].receivedAt).getTime() - new Date(replayed[0].receivedAt).getTime();
    expect(spreadMs).toBeGreaterThanOrEqual(((N - 1) / RATE) * 1000 * 0.75);

    // bob got the split message once (on replay); ann, who had it before the outage, not again.
    const splitCopies = (await up.received()).filter((g) => g.raw.toString().includes(`<split-${t.slug}@x>`));
    expect(splitCopies.map((g) => g.rcptTo)).toEqual([[ann.address], [bob.address]]);
    // cy had the early message; its second copy was suppressed.
    expect((await up.received()).filter((g) => g.raw.toString().includes(`<dup-${t.slug}@x>`) && g.rcptTo.includes(cy.address))).toHaveLength(1);
    expect((await rowsOf(again.messageId))[0]).toMatchObject({ state: 'suppressed' });
    // ann's sent message went back to her own Exchange mailbox, once.
    const copies = got.filter((g) => g.raw.toString().includes('Subject: sent during'));
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ mailFrom: ann.address, rcptTo: [ann.address] });
    // Lifetimes were restored on release: about a day left, not the few seconds of a row held long ago.
    const restored = (await rowsOf(split.messageId)).find((r) => r.recipient === bob.address)!;
    expect(restored.released_at).not.toBeNull();

    const r = await report(t.id);
    expect(r.activationTransitionId).toBe(activation.id);
    expect(r.endedAt).not.toBeNull();
    expect(r.allDelivered).toBe(true);
    const of = (mb: string) => r.mailboxes.find((x) => x.mailbox === mb)!;
    // ann: 5 held (odd i) received and replayed, 1 sent and copied back, split already delivered before → 1 suppressed.
    expect(of(ann.address)).toMatchObject({ receivedDuringEvent: 5, replayed: 5, duplicatesSuppressed: 1, failed: 0, sentDuringEvent: 1, copiedBack: 1, pending: 0 });
    // bob: 5 held (even i) + the split message held on activation.
    expect(of(bob.address)).toMatchObject({ receivedDuringEvent: 5, replayed: 6, duplicatesSuppressed: 0, failed: 0, pending: 0 });
    expect(of(cy.address)).toMatchObject({ receivedDuringEvent: 1, replayed: 0, duplicatesSuppressed: 1, pending: 0 });
    expect(r.totals).toMatchObject({ replayed: 11, copiedBack: 1, failed: 0, pending: 0 });
    // Stored with the event.
    const stored = await withDb(async (db) => (await db.query(`SELECT report FROM continuity_events WHERE tenant_id = $1`, [t.id])).rows[0].report);
    expect(stored.totals).toMatchObject({ replayed: 11, copiedBack: 1 });

    // The operator sees the same through the CLI.
    const text = await cliOutput(['recovery', 'report', '--tenant', t.slug]);
    expect(text).toContain('nothing is missing');
    expect(text).toMatch(new RegExp(`${ann.address.replace(/[.]/g, '\\.')}\\s+5\\s+5\\s+1\\s+0\\s+1\\s+1\\s+0`));
    const json = JSON.parse(await cliOutput(['--json', 'recovery', 'report', '--tenant', t.slug, '--event', activation.id]));
    expect(json.totals).toEqual(r.totals);
    const status = JSON.parse(await cliOutput(['--json', 'recovery', 'status', '--tenant', t.slug]));
    expect(status).toMatchObject({ mode: 'normal', held: 0, releasedDelivered: 11, suppressed: 1 });
  });

  it('reports a message that fails on replay with its reason', async () => {
    const port = await freePort();
    const t = await createTestTenant({ mailboxes: ['eve'], upstreams: [{ host: '127.0.0.1', port }] });
    await transition(worker.app, t.id, 'normal', 'active');
    const m = await insertTestMessage(t, { raw: `Subject: doomed\r\n\r\nx\r\n`, mailFrom: '', recipients: [t.mailboxes.eve.address], mirrorMailboxIds: [t.mailboxes.eve.id] });
    await enqueueDelivery(cfg, m.messageId, t.id);
    await waitFor(async () => (await rowsOf(m.messageId))[0].state === 'held', { what: 'held when its job ran' });
    const up = await startStandinUpstream({ port, rejectRecipients: [t.mailboxes.eve.address] });
    cleanup.push(() => up.stop());
    await transition(worker.app, t.id, 'active', 'recovering');
    await waitFor(async () => (await modeOf(t.id)) === 'normal', { timeoutMs: 20000, what: 'the replay to finish' });
    const r = await report(t.id);
    expect(r.allAccountedFor).toBe(true);
    expect(r.allDelivered).toBe(false);
    expect(r.mailboxes[0].failures).toEqual([expect.objectContaining({ state: 'bounced', reason: expect.stringMatching(/^550 5\.1\.1/) })]);
  });
});
