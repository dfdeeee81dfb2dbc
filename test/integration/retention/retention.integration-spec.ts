import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '@app/config';
import { createDataSource } from '@app/database';
import { blobKey, FsBlobStore } from '@app/blob-store';
import { createLogger } from '@app/observability';
import { RetentionService } from '@app/retention';
import { createTestTenant, insertTestMessage, TestTenant, withDb } from '../../support/factories';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const ago = (ms: number): Date => new Date(Date.now() - ms);
const RAW = 'From: a@x.example\r\nTo: max@y.example\r\nSubject: kept or not\r\n\r\nbody\r\n';

describe('RetentionService', () => {
  let cfg: AppConfig;
  let ds: DataSource;
  let store: FsBlobStore;
  let retention: RetentionService;
  const blobsRoot = join(process.env.DATA_DIR as string, 'blobs');

  beforeAll(async () => {
    cfg = { ...loadConfig(), BLOB_GRACE_SECONDS: 3600, ORPHAN_BLOB_AGE_SECONDS: 3600, RETENTION_BATCH_SIZE: 10 };
    ds = await createDataSource({ ...cfg, DATABASE_POOL_SIZE: 4 }, 'test-retention').initialize();
    store = new FsBlobStore(blobsRoot);
    retention = new RetentionService(ds, store, createLogger('test', 'silent'), cfg);
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  async function tenantIn(mode: string, rollingWindowDays = 7): Promise<TestTenant> {
    const t = await createTestTenant({ mailboxes: ['max'], rollingWindowDays });
    await withDb((db) => db.query(`UPDATE tenants SET mode = $2 WHERE id = $1`, [t.id, mode]));
    return t;
  }

  async function message(t: TestTenant, opts: { receivedAt: Date; mirrored: boolean; deliveryStates?: string[] }) {
    const recipients = (opts.deliveryStates ?? ['delivered']).map((_, i) => `r${i}@${t.domain}`);
    const m = await insertTestMessage(t, { raw: RAW, recipients, mirrorMailboxIds: opts.mirrored ? [t.mailboxes.max.id] : [], receivedAt: opts.receivedAt });
    await withDb(async (db) => {
      for (const [i, state] of (opts.deliveryStates ?? ['delivered']).entries()) {
        await db.query(`UPDATE deliveries SET state = $3 WHERE message_id = $1 AND recipient = $2`, [m.messageId, recipients[i], state]);
      }
    });
    return m;
  }

  const messageExists = (id: string) => withDb(async (db) => (await db.query(`SELECT 1 FROM messages WHERE id = $1`, [id])).rowCount === 1);
  const mirrorCount = (id: string) => withDb(async (db) => Number((await db.query(`SELECT count(*) FROM mirror_entries WHERE message_id = $1`, [id])).rows[0].count));
  const blobExists = (key: string) => existsSync(store.pathOf(key));

  it('purges mirror entries outside the window, in batches, then the messages and blobs nothing refers to', async () => {
    const t = await tenantIn('normal', 7);
    const old = [];
    for (let i = 0; i < 25; i++) old.push(await message(t, { receivedAt: ago(10 * DAY + i * 1000), mirrored: true }));
    const recent = await message(t, { receivedAt: ago(2 * DAY), mirrored: true });

    const report = await retention.runOnce();
    expect(report.skipped).toBe(false);
    expect(report.mirrorEntriesPurged).toBeGreaterThanOrEqual(25);
    expect(report.messagesDeleted).toBeGreaterThanOrEqual(25);
    for (const m of old) {
      expect(await mirrorCount(m.messageId)).toBe(0);
      expect(await messageExists(m.messageId)).toBe(false);
      expect(blobExists(m.blobKey)).toBe(false);
    }
    expect(await mirrorCount(recent.messageId)).toBe(1);
    expect(await messageExists(recent.messageId)).toBe(true);
    expect(blobExists(recent.blobKey)).toBe(true);
  });

  it('keeps everything of a tenant in continuity mode or recovering, and purges a drilling one', async () => {
    const active = await tenantIn('active', 1);
    const recovering = await tenantIn('recovering', 1);
    const drill = await tenantIn('drill', 1);
    const a = await message(active, { receivedAt: ago(40 * DAY), mirrored: true });
    const a2 = await message(active, { receivedAt: ago(40 * DAY), mirrored: false });
    const r = await message(recovering, { receivedAt: ago(40 * DAY), mirrored: true });
    const d = await message(drill, { receivedAt: ago(40 * DAY), mirrored: true });

    await retention.runOnce();
    for (const m of [a, a2, r]) {
      expect(await messageExists(m.messageId)).toBe(true);
      expect(blobExists(m.blobKey)).toBe(true);
    }
    expect(await mirrorCount(a.messageId)).toBe(1);
    expect(await mirrorCount(r.messageId)).toBe(1);
    expect(await messageExists(d.messageId)).toBe(false);
    expect(blobExists(d.blobKey)).toBe(false);
  });

  it('deletes an unreferenced message only after the grace period', async () => {
    const t = await tenantIn('normal');
    const young = await message(t, { receivedAt: ago(10 * 60_000), mirrored: false });
    const aged = await message(t, { receivedAt: ago(2 * HOUR), mirrored: false });
    await retention.runOnce();
    expect(await messageExists(young.messageId)).toBe(true);
    expect(blobExists(young.blobKey)).toBe(true);
    expect(await messageExists(aged.messageId)).toBe(false);
    expect(blobExists(aged.blobKey)).toBe(false);
  });

  it('keeps a message while any of its deliveries is queued, deferred or held', async () => {
    const t = await tenantIn('normal');
    const kept = [];
    for (const pending of ['queued', 'deferred', 'held']) kept.push(await message(t, { receivedAt: ago(20 * DAY), mirrored: false, deliveryStates: ['delivered', pending, 'bounced'] }));
    const done = await message(t, { receivedAt: ago(20 * DAY), mirrored: false, deliveryStates: ['delivered', 'bounced', 'expired'] });
    await retention.runOnce();
    for (const m of kept) {
      expect(await messageExists(m.messageId)).toBe(true);
      expect(blobExists(m.blobKey)).toBe(true);
    }
    expect(await messageExists(done.messageId)).toBe(false);
    expect(blobExists(done.blobKey)).toBe(false);
  });

  it('sweeps orphan blobs and temporary files by age only', async () => {
    const t = await tenantIn('normal', 30);
    const writeBlob = async (age: number) => {
      const key = blobKey(t.id, randomBytes(8).toString('hex').toUpperCase());
      const w = store.createWriter(key);
      w.write(Buffer.from(RAW));
      await w.commit();
      const when = ago(age);
      await utimes(store.pathOf(key), when, when);
      return key;
    };
    const oldOrphan = await writeBlob(2 * HOUR);
    const youngOrphan = await writeBlob(10 * 60_000);
    // A referenced message whose blob is old must stay.
    const referenced = await message(t, { receivedAt: ago(DAY), mirrored: true });
    const when = ago(3 * DAY);
    await utimes(store.pathOf(referenced.blobKey), when, when);

    await mkdir(join(blobsRoot, 'tmp'), { recursive: true });
    const oldTmp = join(blobsRoot, 'tmp', `${randomBytes(8).toString('hex')}.part`);
    const youngTmp = join(blobsRoot, 'tmp', `${randomBytes(8).toString('hex')}.part`);
    await writeFile(oldTmp, 'partial');
    await writeFile(youngTmp, 'partial');
    await utimes(oldTmp, ago(2 * HOUR), ago(2 * HOUR));

    const report = await retention.runOnce();
    expect(report.orphanBlobsDeleted).toBeGreaterThanOrEqual(1);
    expect(report.temporaryFilesDeleted).toBeGreaterThanOrEqual(1);
    expect(blobExists(oldOrphan)).toBe(false);
    expect(blobExists(youngOrphan)).toBe(true);
    expect(blobExists(referenced.blobKey)).toBe(true);
    expect(await messageExists(referenced.messageId)).toBe(true);
    expect(existsSync(oldTmp)).toBe(false);
    expect(existsSync(youngTmp)).toBe(true);
  });

  it('does nothing while another worker holds the retention lock, and two concurrent runs delete each thing once', async () => {
    const t = await tenantIn('normal', 7);
    const old = await message(t, { receivedAt: ago(10 * DAY), mirrored: true });

    await withDb(async (db) => {
      await db.query(`SELECT pg_advisory_lock(hashtext('mc:retention')::bigint)`);
      try {
        const r = await retention.runOnce();
        expect(r).toEqual({ mirrorEntriesPurged: 0, messagesDeleted: 0, orphanBlobsDeleted: 0, temporaryFilesDeleted: 0, skipped: true });
        expect(await mirrorCount(old.messageId)).toBe(1);
      } finally {
        await db.query(`SELECT pg_advisory_unlock(hashtext('mc:retention')::bigint)`);
      }
    });

    const other = new RetentionService(ds, store, createLogger('test', 'silent'), cfg);
    const results = await Promise.all([retention.runOnce(), other.runOnce()]);
    expect(results.some((r) => !r.skipped)).toBe(true);
    expect(await messageExists(old.messageId)).toBe(false);
    expect(blobExists(old.blobKey)).toBe(false);
  });
});
