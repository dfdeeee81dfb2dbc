import IORedis from 'ioredis';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';
import { createDataSource } from '@app/database';
import { DeliveryStore } from '@app/delivery';
import { createTestTenant, insertTestMessage, uniqueLabel, waitFor, withDb } from '../../support/factories';
import { freePort } from '../../support/processes';
import { startStandinUpstream, StandinUpstream } from '../../support/standin';
import { RunningWorker } from '../../../apps/worker/src/worker.bootstrap';
import { deliveriesOf, dsnMessagesOf, dsnParts, enqueueDelivery, setMessageFlags, startTestWorker, testConfig } from './delivery-harness';

/** Retries, expiry, leases and the sweeper: Postgres is the queue of record, Redis only schedules. */
describe('delivery retries and recovery', () => {
  const senderDomain = `${uniqueLabel('ext')}.example`;
  const prefix = `${process.env.REDIS_PREFIX}:retry`;
  let cfg: AppConfig;
  let worker: RunningWorker | null = null;
  let senders: StandinUpstream;

  beforeAll(async () => {
    senders = await startStandinUpstream();
    cfg = testConfig({ REDIS_PREFIX: prefix, STATIC_ROUTES: `${senderDomain}=127.0.0.1:${senders.port}` });
    worker = await startTestWorker(cfg);
  });

  afterAll(async () => {
    await worker?.stop();
    await senders?.stop();
  });

  it('defers while the upstream is down, retries, and delivers once it is back', async () => {
    const port = await freePort();
    const t = await createTestTenant({ mailboxes: ['ann'], upstreams: [{ host: '127.0.0.1', port }] });
    const rcpt = t.mailboxes.ann.address;
    const m = await insertTestMessage(t, { raw: `Subject: patience\r\nMessage-ID: <p-${t.slug}@x>\r\n\r\nx\r\n`, recipients: [rcpt] });
    await enqueueDelivery(cfg, m.messageId, t.id);
    const deferred = await waitFor(async () => {
      const r = (await deliveriesOf(m.messageId))[0];
      return r.state === 'deferred' && r.attempts >= 2 ? r : null;
    }, { what: 'two failed attempts' });
    expect(deferred.last_reply).toMatch(/ECONNECTION|ECONNREFUSED|ESOCKET/);
    const up = await startStandinUpstream({ port });
    try {
      await waitFor(async () => (await deliveriesOf(m.messageId))[0].state === 'delivered', { what: 'delivery after the upstream came back', timeoutMs: 20000 });
      const got = (await up.received()).filter((x) => x.rcptTo.includes(rcpt));
      expect(got).toHaveLength(1);
    } finally {
      await up.stop();
    }
  });

  it('expires a delivery whose lifetime ends while the upstream stays down, with a DSN saying so', async () => {
    const t = await createTestTenant({ mailboxes: ['bob'], upstreams: [{ host: '127.0.0.1', port: await freePort() }] });
    const rcpt = t.mailboxes.bob.address;
    const sender = `patient-${t.slug}@${senderDomain}`;
    const m = await insertTestMessage(t, { raw: `From: ${sender}\r\nSubject: will expire\r\nMessage-ID: <exp-${t.slug}@x>\r\n\r\nx\r\n`, mailFrom: sender, recipients: [rcpt] });
    await setMessageFlags(m.messageId, { expiresInSeconds: 2 });
    await enqueueDelivery(cfg, m.messageId, t.id);
    const row = await waitFor(async () => {
      const r = (await deliveriesOf(m.messageId))[0];
      return r.state === 'expired' ? r : null;
    }, { what: 'expiry', timeoutMs: 20000 });
    expect(row.attempts).toBeGreaterThanOrEqual(2);
    expect(row.dsn_queue_id).toBeTruthy();
    const dsns = await dsnMessagesOf(t.id);
    expect(dsns).toHaveLength(1);
    const dsn = await waitFor(async () => (await senders.received()).find((x) => x.rcptTo.includes(sender)));
    expect(dsn.mailFrom).toBe('');
    const { headers, parts } = dsnParts(dsn.raw);
    expect(headers).toMatch(/^Subject: .*expired/m);
    expect(parts[1].body).toContain(`Final-Recipient: rfc822; ${rcpt}\r\nAction: failed\r\nStatus: 4.4.7\r\n`);
    expect(parts[0].body).toContain('delivery time expired');
    expect(parts[2].body).toContain(`Message-ID: <exp-${t.slug}@x>`);
  });

  it('lets only one of two workers claim a row (the lease)', async () => {
    const t = await createTestTenant({ mailboxes: ['cy'], upstreams: [{ host: '127.0.0.1', port: await freePort() }] });
    const m = await insertTestMessage(t, { raw: `Subject: lease\r\n\r\nx\r\n`, recipients: [t.mailboxes.cy.address] });
    const dsA: DataSource = await createDataSource(cfg, 'lease-a').initialize();
    const dsB: DataSource = await createDataSource(cfg, 'lease-b').initialize();
    try {
      const [a, b] = await Promise.all([new DeliveryStore(dsA).claim(m.messageId, 'worker-a', 30), new DeliveryStore(dsB).claim(m.messageId, 'worker-b', 30)]);
      expect(a.length + b.length).toBe(1);
      expect((await deliveriesOf(m.messageId))[0].lease_owner).toBe(a.length ? 'worker-a' : 'worker-b');
    } finally {
      await withDb((db) => db.query(`UPDATE deliveries SET state = 'bounced', lease_owner = NULL, lease_expires_at = NULL WHERE message_id = $1`, [m.messageId]));
      await dsA.destroy();
      await dsB.destroy();
    }
  });

  it('records an outcome only while the lease on every row of it is still held (all or nothing)', async () => {
    const t = await createTestTenant({ mailboxes: ['fay', 'gus'], upstreams: [{ host: '127.0.0.1', port: await freePort() }] });
    const m = await insertTestMessage(t, { raw: `Subject: lease lost\r\n\r\nx\r\n`, recipients: [t.mailboxes.fay.address, t.mailboxes.gus.address] });
    const ds: DataSource = await createDataSource(cfg, 'lease-lost').initialize();
    try {
      const store = new DeliveryStore(ds);
      const { claimed, message } = await store.claimAndLoad(m.messageId, 'worker-a', 30);
      expect(claimed).toHaveLength(2);
      expect(message).toMatchObject({ id: m.messageId, tenantId: t.id, queueId: m.queueId, direction: 'inbound' });
      expect(message?.receivedAt).toBeInstanceOf(Date);
      const outcome = (id: string) => ({ id, state: 'delivered' as const, attempted: true, lastReply: '250 ok', lastRoute: 'x:25', nextAttemptAt: null, dsnQueueId: null });
      // Another worker took one row over after the lease ran out: neither row may take our outcome.
      await withDb((db) => db.query(`UPDATE deliveries SET lease_owner = 'worker-b' WHERE id = $1`, [claimed[1].id]));
      expect(await store.recordAttempt('worker-a', claimed.map((c) => outcome(c.id)), null)).toMatchObject({ recorded: false });
      let rows = await deliveriesOf(m.messageId);
      expect(rows.map((r) => r.state)).toEqual(['queued', 'queued']);
      expect(rows.map((r) => r.attempts)).toEqual([0, 0]);
      // With the lease back on both, the outcome is recorded for both and the leases end.
      await withDb((db) => db.query(`UPDATE deliveries SET lease_owner = 'worker-a' WHERE message_id = $1`, [m.messageId]));
      expect(await store.recordAttempt('worker-a', claimed.map((c) => outcome(c.id)), null)).toMatchObject({ recorded: true });
      rows = await deliveriesOf(m.messageId);
      expect(rows.map((r) => [r.state, r.attempts, r.lease_owner])).toEqual([['delivered', 1, null], ['delivered', 1, null]]);
    } finally {
      await withDb((db) => db.query(`UPDATE deliveries SET state = 'bounced', lease_owner = NULL, lease_expires_at = NULL WHERE message_id = $1 AND state <> 'delivered'`, [m.messageId]));
      await ds.destroy();
    }
  });

  it('delivers each message exactly once when two workers run its jobs at the same time', async () => {
    const up = await startStandinUpstream();
    const second = await startTestWorker(cfg);
    try {
      const t = await createTestTenant({ mailboxes: ['dee', 'eve'], upstreams: [{ host: '127.0.0.1', port: up.port }] });
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const m = await insertTestMessage(t, { raw: `Subject: race ${i}\r\nMessage-ID: <race-${i}-${t.slug}@x>\r\n\r\nx\r\n`, recipients: [t.mailboxes.dee.address, t.mailboxes.eve.address] });
        ids.push(m.messageId);
      }
      // Two jobs per message under different ids, so both workers really race for the same rows.
      const now = Date.now();
      await Promise.all(ids.flatMap((id) => [enqueueDelivery(cfg, id, t.id, new Date(now)), enqueueDelivery(cfg, id, t.id, new Date(now + 1))]));
      await waitFor(async () => {
        const r = await withDb((db) => db.query(`SELECT count(*)::int AS n FROM deliveries WHERE tenant_id = $1 AND state = 'delivered'`, [t.id]));
        return r.rows[0].n === 60;
      }, { what: 'all delivered', timeoutMs: 20000 });
      const got = (await up.received()).filter((x) => x.rcptTo.includes(t.mailboxes.dee.address));
      const perId = new Map<string, number>();
      for (const g of got) {
        const id = /Message-ID: <([^>]+)>/.exec(g.raw.toString())?.[1] as string;
        perId.set(id, (perId.get(id) ?? 0) + 1);
      }
      expect(perId.size).toBe(30);
      expect([...perId.values()].every((n) => n === 1)).toBe(true);
      expect(got.every((g) => g.rcptTo.length === 2)).toBe(true);
    } finally {
      await second.stop();
      await up.stop();
    }
  });

  it('delivers what was queued after every key of the run’s Redis prefix is gone (the sweeper re-enqueues from Postgres)', async () => {
    await worker?.stop();
    worker = null;
    const up = await startStandinUpstream();
    const t = await createTestTenant({ mailboxes: ['fay'], upstreams: [{ host: '127.0.0.1', port: up.port }] });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await insertTestMessage(t, { raw: `Subject: flushed ${i}\r\nMessage-ID: <fl-${i}-${t.slug}@x>\r\n\r\nx\r\n`, recipients: [t.mailboxes.fay.address] });
      await enqueueDelivery(cfg, m.messageId, t.id);
      ids.push(m.messageId);
    }
    // FLUSHALL, limited to this run's keys: other users of this Redis keep theirs.
    const redis = new IORedis(cfg.REDIS_URL);
    try {
      let cursor = '0';
      let deleted = 0;
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) deleted += await redis.del(...keys);
      } while (cursor !== '0');
      expect(deleted).toBeGreaterThan(0);
      expect((await redis.keys(`${prefix}:*`)).length).toBe(0);
    } finally {
      redis.disconnect();
    }
    worker = await startTestWorker(cfg);
    try {
      await waitFor(async () => {
        const r = await withDb((db) => db.query(`SELECT count(*)::int AS n FROM deliveries WHERE tenant_id = $1 AND state = 'delivered'`, [t.id]));
        return r.rows[0].n === 5;
      }, { what: 'delivered after the flush', timeoutMs: 20000 });
      expect((await up.received()).filter((x) => x.rcptTo.includes(t.mailboxes.fay.address))).toHaveLength(5);
    } finally {
      await up.stop();
    }
  });
});
