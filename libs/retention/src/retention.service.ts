import { Inject, Injectable } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BLOB_STORE, BlobInfo, BlobStore } from '@app/blob-store';
import { PENDING_DELIVERY_STATES } from '@app/delivery/delivery.entity';
import { LOGGER, Logger } from '@app/observability';
import { blobGraceCutoff, isOrphanAged, isRetentionSuspended, mirrorCutoff, queueIdOfBlobKey, RETENTION_SUSPENDED_MODES } from './retention-policy';

export interface RetentionReport {
  mirrorEntriesPurged: number;
  messagesDeleted: number;
  orphanBlobsDeleted: number;
  temporaryFilesDeleted: number;
  /** Another worker held the retention lock; this run did nothing. */
  skipped: boolean;
}

/** One run at a time across all workers; a session lock is freed by Postgres if the worker dies. */
const LOCK_SQL = `SELECT pg_try_advisory_lock(hashtext('mc:retention')::bigint) AS locked`;
const UNLOCK_SQL = `SELECT pg_advisory_unlock(hashtext('mc:retention')::bigint)`;
const ORPHAN_CHECK_BATCH = 500;

interface TenantRow { id: string; mode: string; rolling_window_days: number }

/**
 * The rolling window, in three steps:
 *  (a) mirror entries older than each tenant's window are purged — never while
 *      the tenant is in continuity mode or recovering;
 *  (b) messages no mirror entry and no pending delivery refers to are deleted
 *      after a grace period, blob first, then the row (a crash in between
 *      leaves a row without blob, which the next run deletes; never a blob
 *      without row that nothing would find);
 *  (c) blobs without any message row (an MX transaction that failed after
 *      the blob was written) and temporary files are swept by age.
 * Everything is deleted in batches so a big tenant never holds locks for long.
 */
@Injectable()
export class RetentionService {
  constructor(
    private readonly ds: DataSource,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'BLOB_GRACE_SECONDS' | 'ORPHAN_BLOB_AGE_SECONDS' | 'RETENTION_BATCH_SIZE'>,
  ) {}

  async runOnce(now: Date = new Date()): Promise<RetentionReport> {
    const report: RetentionReport = { mirrorEntriesPurged: 0, messagesDeleted: 0, orphanBlobsDeleted: 0, temporaryFilesDeleted: 0, skipped: false };
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    try {
      const [{ locked }] = await qr.query(LOCK_SQL);
      if (!locked) {
        this.logger.info('retention skipped: another worker is running it');
        return { ...report, skipped: true };
      }
      try {
        const started = Date.now();
        const tenants: TenantRow[] = await qr.query(`SELECT id, mode, rolling_window_days FROM tenants ORDER BY id`);
        for (const t of tenants) {
          if (isRetentionSuspended(t.mode)) continue;
          report.mirrorEntriesPurged += await this.purgeMirrorEntries(qr, t, now);
          report.messagesDeleted += await this.deleteUnreferencedMessages(qr, t.id, now);
        }
        report.orphanBlobsDeleted = await this.sweepOrphanBlobs(qr, now);
        report.temporaryFilesDeleted = await this.blobs.sweepTemporary(this.cfg.ORPHAN_BLOB_AGE_SECONDS * 1000);
        this.logger.info({ ...report, tenants: tenants.length, ms: Date.now() - started }, 'retention run finished');
        return report;
      } finally {
        await qr.query(UNLOCK_SQL);
      }
    } finally {
      await qr.release();
    }
  }

  /** (a) Batches of old entries; each statement re-checks the mode, so an activation mid-run stops the purge at once. */
  private async purgeMirrorEntries(qr: QueryRunner, t: TenantRow, now: Date): Promise<number> {
    const cutoff = mirrorCutoff(now, t.rolling_window_days);
    let total = 0;
    for (;;) {
      const res = await qr.query(
        `WITH doomed AS (
           SELECT id FROM mirror_entries WHERE tenant_id = $1 AND received_at < $2 LIMIT $3
         )
         DELETE FROM mirror_entries e USING doomed
         WHERE e.id = doomed.id AND e.tenant_id = $1
           AND EXISTS (SELECT 1 FROM tenants t WHERE t.id = $1 AND t.mode <> ALL($4::text[]))`,
        [t.id, cutoff, this.cfg.RETENTION_BATCH_SIZE, RETENTION_SUSPENDED_MODES],
        true,
      );
      const n = res.affected ?? 0;
      total += n;
      if (n < this.cfg.RETENTION_BATCH_SIZE) return total;
    }
  }

  /**
   * (b) Rows are locked (FOR UPDATE) while their blobs are deleted: a mirror
   * entry or delivery that would now refer to one waits on the lock and then
   * fails its foreign key instead of pointing at a deleted blob.
   */
  private async deleteUnreferencedMessages(qr: QueryRunner, tenantId: string, now: Date): Promise<number> {
    const cutoff = blobGraceCutoff(now, this.cfg.BLOB_GRACE_SECONDS);
    let total = 0;
    for (;;) {
      await qr.startTransaction();
      let batch: { id: string; blob_key: string; queue_id: string }[];
      try {
        batch = await qr.query(
          `SELECT m.id, m.blob_key, m.queue_id FROM messages m
           WHERE m.tenant_id = $1 AND m.received_at < $2
             AND NOT EXISTS (SELECT 1 FROM mirror_entries e WHERE e.message_id = m.id)
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state = ANY($3::text[]))
             AND EXISTS (SELECT 1 FROM tenants t WHERE t.id = $1 AND t.mode <> ALL($5::text[]))
           ORDER BY m.received_at
           LIMIT $4
           FOR UPDATE OF m SKIP LOCKED`,
          [tenantId, cutoff, PENDING_DELIVERY_STATES, this.cfg.RETENTION_BATCH_SIZE, RETENTION_SUSPENDED_MODES],
        );
        for (const m of batch) await this.blobs.delete(m.blob_key);
        if (batch.length) await qr.query(`DELETE FROM messages WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [tenantId, batch.map((m) => m.id)]);
        await qr.commitTransaction();
      } catch (e) {
        await qr.rollbackTransaction();
        throw e;
      }
      for (const m of batch) this.logger.debug({ queueId: m.queue_id, messageId: m.id, tenantId }, 'message and blob deleted by retention');
      total += batch.length;
      if (batch.length < this.cfg.RETENTION_BATCH_SIZE) return total;
    }
  }

  /** (c) Old blobs are checked against messages in batches: first by queue id (indexed), then by exact key. */
  private async sweepOrphanBlobs(qr: QueryRunner, now: Date): Promise<number> {
    let deleted = 0;
    let pending: BlobInfo[] = [];
    const flush = async (): Promise<void> => {
      const candidates = pending;
      pending = [];
      const qids = candidates.map((b) => queueIdOfBlobKey(b.key)).filter((q): q is string => !!q);
      const byQueueId: { blob_key: string }[] = qids.length ? await qr.query(`SELECT blob_key FROM messages WHERE queue_id = ANY($1::text[])`, [qids]) : [];
      const referenced = new Set(byQueueId.map((r) => r.blob_key));
      let unreferenced = candidates.filter((b) => !referenced.has(b.key));
      if (unreferenced.length) {
        // Rare (orphans come only from failed transactions): the exact check, whatever the key's shape.
        // Files uploaded to webmail drafts are blobs of their own, referenced by their draft.
        const byKey: { blob_key: string }[] = await qr.query(
          `SELECT blob_key FROM messages WHERE blob_key = ANY($1::text[]) UNION ALL SELECT blob_key FROM webmail_draft_attachments WHERE blob_key = ANY($1::text[])`,
          [unreferenced.map((b) => b.key)],
        );
        const alsoReferenced = new Set(byKey.map((r) => r.blob_key));
        unreferenced = unreferenced.filter((b) => !alsoReferenced.has(b.key));
      }
      for (const b of unreferenced) {
        await this.blobs.delete(b.key);
        deleted++;
        this.logger.info({ blobKey: b.key, size: b.size, modifiedAt: b.modifiedAt }, 'orphan blob deleted');
      }
    };
    for await (const blob of this.blobs.list()) {
      if (!isOrphanAged(blob.modifiedAt, now, this.cfg.ORPHAN_BLOB_AGE_SECONDS)) continue;
      pending.push(blob);
      if (pending.length >= ORPHAN_CHECK_BATCH) await flush();
    }
    if (pending.length) await flush();
    return deleted;
  }
}
