import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BLOB_STORE, BlobStore } from '@app/blob-store';
import { BounceService, DeliveryInFlightError, DeliveryStore, QueueOperationsStore, QueuedDeliveryView } from '@app/delivery';
import { HttpError } from '@app/http';
import { LOGGER, Logger } from '@app/observability';
import { deliveryJobId, indexJobId, QueueName, Queues } from '@app/queues';
import { AdminAuditService } from '../auth/admin-audit.service';
import type { Principal } from '../auth/principal';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A lease long enough to write a DSN; the operator's action holds the row like a worker's attempt would. */
const OPERATOR_LEASE_SECONDS = 120;

/** What the DSN tells the sender; the operator's reason stays in the audit log. */
export const OPERATOR_BOUNCE_EXPLANATION = 'the message was returned by the operator of the mail service';

function notFound(what: 'delivery' | 'message', id: string): HttpError {
  return new HttpError(404, `${what}_not_found`, `the tenant has no ${what} "${id}"`);
}

/**
 * The operator's queue tools for one tenant. Retry, bounce and purge are
 * audited with who and why; a purge is the one place mail is thrown away, so
 * it needs a reason and records what went.
 */
@Injectable()
export class QueueOperationsService {
  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'DELIVERY_LEASE_SECONDS'>,
    private readonly ops: QueueOperationsStore,
    private readonly deliveries: DeliveryStore,
    private readonly bounces: BounceService,
    private readonly queues: Queues,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly audit: AdminAuditService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  list(tenantId: string, q: { state?: 'queued' | 'deferred' | 'held'; limit: number; offset: number }): Promise<{ items: QueuedDeliveryView[]; total: number }> {
    return this.ops.listPending(tenantId, q);
  }

  /** Makes one deferred (or queued) delivery, or all of the tenant's, due now and hands them to the workers. */
  async retry(p: Principal, tenantId: string, deliveryId: string | null, reason: string | null): Promise<{ retried: number }> {
    if (deliveryId) {
      const row = UUID.test(deliveryId) ? await this.ops.find(tenantId, deliveryId) : null;
      if (!row) throw notFound('delivery', deliveryId);
      if (row.state !== 'queued' && row.state !== 'deferred') throw new HttpError(409, 'delivery_not_retryable', `the delivery is ${row.state}; only queued or deferred deliveries can be retried`);
      if (row.leased) throw new HttpError(409, 'delivery_in_flight', 'a worker is attempting this delivery right now');
    }
    const due = await this.ops.makeDueNow(tenantId, deliveryId);
    for (const m of due) {
      try {
        await this.queues.add(QueueName.Delivery, 'deliver-message', { messageId: m.messageId, tenantId }, deliveryJobId(m.messageId, m.dueAt));
      } catch (e) {
        // The rows are due; the delivery sweeper enqueues them if Redis did not take the job.
        this.logger.warn({ tenantId, messageId: m.messageId, err: e instanceof Error ? e.message : String(e) }, 'retry: could not enqueue; the sweeper will');
      }
    }
    const retried = due.reduce((n, m) => n + m.rows, 0);
    await this.audit.record(p, tenantId, 'queue.retry', deliveryId ? `delivery:${deliveryId}` : 'all', { reason, retried, messages: due.length });
    return { retried };
  }

  /**
   * Returns one pending delivery to its sender: the row is leased like an
   * attempt, a DSN is written by the delivery engine's BounceService and
   * recorded with the bounced row in one transaction, then queued for
   * delivery (none for a null sender or for a DSN).
   */
  async bounce(p: Principal, tenantId: string, deliveryId: string, reason: string): Promise<{ bounced: number; dsnQueueId: string | null }> {
    const existing = UUID.test(deliveryId) ? await this.ops.find(tenantId, deliveryId) : null;
    if (!existing) throw notFound('delivery', deliveryId);
    if (!['queued', 'deferred', 'held'].includes(existing.state)) throw new HttpError(409, 'delivery_final', `the delivery is already ${existing.state}`);
    const owner = `operator:${randomUUID()}`;
    const row = await this.ops.leaseForOperator(tenantId, deliveryId, owner, Math.min(OPERATOR_LEASE_SECONDS, this.cfg.DELIVERY_LEASE_SECONDS));
    if (!row) throw new HttpError(409, 'delivery_in_flight', 'a worker is attempting this delivery right now; try again in a moment');
    const message = await this.deliveries.loadMessage(tenantId, row.messageId);
    if (!message) throw notFound('message', row.messageId);
    const lastReply = `returned by an operator: ${reason}`.slice(0, 1000);
    const dsn = await this.bounces.writeDsn(message, [
      { recipient: row.recipient, reason: 'bounced', status: '5.0.0', remoteMta: row.lastRoute, smtpDiagnostic: null, explanation: OPERATOR_BOUNCE_EXPLANATION, lastAttemptAt: row.lastAttemptAt },
    ]);
    let recorded: Awaited<ReturnType<DeliveryStore['recordAttempt']>>;
    try {
      recorded = await this.deliveries.recordAttempt(owner, [{ id: row.id, state: 'bounced', attempted: false, lastReply, lastRoute: null, nextAttemptAt: null, dsnQueueId: dsn?.queueId ?? null }], dsn);
    } catch (e) {
      if (dsn) await this.bounces.discard(dsn).catch(() => undefined);
      throw e;
    }
    if (!recorded.recorded) {
      if (dsn) await this.bounces.discard(dsn).catch(() => undefined);
      throw new HttpError(409, 'delivery_in_flight', 'a worker took this delivery over meanwhile; look again');
    }
    if (dsn && recorded.dsnMessageId) {
      await this.queues.add(QueueName.Delivery, 'deliver-message', { messageId: recorded.dsnMessageId, tenantId }, deliveryJobId(recorded.dsnMessageId, new Date())).catch(() => undefined);
      if (recorded.dsnMirrored) await this.queues.add(QueueName.Index, 'index-message', { messageId: recorded.dsnMessageId, tenantId }, indexJobId(recorded.dsnMessageId)).catch(() => undefined);
    }
    await this.audit.record(p, tenantId, 'queue.bounce', `delivery:${row.id}`, { reason, queueId: message.queueId, recipient: row.recipient, previousState: existing.state, dsnQueueId: dsn?.queueId ?? null });
    this.logger.warn({ tenantId, queueId: message.queueId, recipient: row.recipient, dsnQueueId: dsn?.queueId, operator: p.name }, 'delivery returned to the sender by an operator');
    return { bounced: 1, dsnQueueId: dsn?.queueId ?? null };
  }

  /**
   * Throws a message away: its deliveries, its mirror entries and its blob.
   * Audited before anything is deleted, so a purge is never silent even if
   * it fails half-way (the details then say what was asked for).
   */
  async purge(p: Principal, tenantId: string, messageId: string, reason: string): Promise<{ purged: true; queueId: string; deliveriesDeleted: number; mirrorEntriesDeleted: number }> {
    if (!UUID.test(messageId)) throw notFound('message', messageId);
    const message = await this.deliveries.loadMessage(tenantId, messageId);
    if (!message) throw notFound('message', messageId);
    await this.audit.record(p, tenantId, 'queue.purge.requested', `message:${messageId}`, { reason, queueId: message.queueId, direction: message.direction, mailFrom: message.mailFrom });
    let purged;
    try {
      purged = await this.ops.purgeMessage(tenantId, messageId);
    } catch (e) {
      if (e instanceof DeliveryInFlightError) throw new HttpError(409, e.code, e.message);
      throw e;
    }
    if (!purged) throw notFound('message', messageId);
    await this.blobs.delete(purged.blobKey).catch((e) =>
      // An orphan blob is swept by age later; the message itself is gone.
      this.logger.warn({ tenantId, queueId: purged.queueId, err: e instanceof Error ? e.message : String(e) }, 'purge: blob not deleted; the orphan sweep will'),
    );
    await this.audit.record(p, tenantId, 'queue.purge', `message:${messageId}`, {
      reason,
      queueId: purged.queueId,
      direction: purged.direction,
      mailFrom: purged.mailFrom,
      deliveries: purged.deliveries,
      mirrorEntriesDeleted: purged.mirrorEntriesDeleted,
    });
    this.logger.warn({ tenantId, queueId: purged.queueId, deliveries: purged.deliveries.length, operator: p.name }, 'message purged by an operator');
    return { purged: true, queueId: purged.queueId, deliveriesDeleted: purged.deliveries.length, mirrorEntriesDeleted: purged.mirrorEntriesDeleted };
  }
}
