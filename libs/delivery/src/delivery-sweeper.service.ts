import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { deliveryJobId, indexJobId, QueueName, Queues, recoveredDeliveryJobId } from '@app/queues';
import { LOGGER, Logger, Metrics } from '@app/observability';
import { DeliverMessageHandler } from './deliver-message.job';
import { DeliveryStore } from './delivery.store';
import type { AttemptResult } from './delivery-outcome';
import { parseReply } from '@app/smtp';

/** A due row younger than this is probably being picked up by its own job right now. */
const DUE_SLACK_MS = 2000;
/** Messages still unindexed this long after acceptance lost their index job. */
const INDEX_STALE_SECONDS = 30;
/** A deferred row this far past its lifetime missed its final attempt; expire it without one. */
const EXPIRY_GRACE_SECONDS = 60;
const BATCH = 500;

export interface SweepReport { deliveryJobsEnqueued: number; expired: number; indexJobsEnqueued: number }

/**
 * Redis only schedules; this makes sure it forgets nothing. Every
 * SWEEP_INTERVAL_MS it re-enqueues delivery jobs for due rows nobody holds
 * (a Redis flush, a killed worker), expires deferred rows whose final attempt
 * never ran, re-enqueues index jobs that went missing, and refreshes the
 * queue-depth gauge. Job ids are deterministic, so sweeping twice, or from
 * several replicas at once, adds nothing twice.
 */
@Injectable()
export class DeliverySweeper {
  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'DELIVERY_LEASE_SECONDS'>,
    private readonly store: DeliveryStore,
    private readonly handler: DeliverMessageHandler,
    private readonly queues: Queues,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async sweepOnce(): Promise<SweepReport> {
    const report: SweepReport = { deliveryJobsEnqueued: 0, expired: 0, indexJobsEnqueued: 0 };
    const delivery = this.queues.queue(QueueName.Delivery);
    for (const due of await this.store.dueUnleased(DUE_SLACK_MS, BATCH)) {
      const data = { messageId: due.messageId, tenantId: due.tenantId };
      const jobId = deliveryJobId(due.messageId, new Date(due.dueAt));
      if (await this.ensureJob(delivery, 'deliver-message', data, jobId)) {
        report.deliveryJobsEnqueued++;
      } else if ((await delivery.getJobState(jobId)) === 'active' && this.heldByDeadWorker(due)) {
        // A live worker claims its rows at once and renews the lease; an "active" job
        // whose rows lie unclaimed or whose lease ran out belongs to a dead worker and
        // would sit there until BullMQ's stall check. Queue a successor whose id is
        // fixed by that lease (or due time), so several sweepers still add it once.
        const successor = recoveredDeliveryJobId(jobId, new Date(due.leaseExpiredAt ?? due.dueAt));
        if (await this.ensureJob(delivery, 'deliver-message', data, successor)) report.deliveryJobsEnqueued++;
      }
    }
    report.expired = await this.expireUnattended();
    const index = this.queues.queue(QueueName.Index);
    for (const m of await this.store.pendingIndex(INDEX_STALE_SECONDS, BATCH)) {
      if (await this.ensureJob(index, 'index-message', m, indexJobId(m.messageId))) report.indexJobsEnqueued++;
    }
    const depth = await this.store.depthByState();
    for (const [state, n] of Object.entries(depth)) this.metrics.queueDepth.set({ state }, n);
    if (report.deliveryJobsEnqueued || report.expired || report.indexJobsEnqueued) this.logger.info(report, 'sweep re-enqueued lost work');
    return report;
  }

  private heldByDeadWorker(due: { dueAt: Date; leaseExpiredAt: Date | null }): boolean {
    if (due.leaseExpiredAt) return true;
    return Date.now() - new Date(due.dueAt).getTime() > this.cfg.DELIVERY_LEASE_SECONDS * 1000;
  }

  /**
   * Adds the job unless one with its id is waiting, delayed or running. A
   * failed job with the same id would block the add forever, so it is removed
   * first; a completed one is already gone (removeOnComplete).
   */
  private async ensureJob(queue: Queue, name: string, data: { messageId: string; tenantId: string }, jobId: string): Promise<boolean> {
    const state = await queue.getJobState(jobId);
    if (state === 'waiting' || state === 'delayed' || state === 'active' || state === 'prioritized' || state === 'waiting-children') return false;
    if (state === 'failed' || state === 'completed') await queue.remove(jobId).catch(() => 0);
    await queue.add(name, data, { jobId });
    return true;
  }

  private async expireUnattended(): Promise<number> {
    const owner = this.handler.newLeaseOwner();
    const rows = await this.store.claimLongExpired(owner, this.cfg.DELIVERY_LEASE_SECONDS, EXPIRY_GRACE_SECONDS, BATCH);
    if (!rows.length) return 0;
    const byMessage = new Map<string, typeof rows>();
    for (const r of rows) byMessage.set(r.messageId, [...(byMessage.get(r.messageId) ?? []), r]);
    let expired = 0;
    for (const [messageId, list] of byMessage) {
      const message = await this.store.loadMessage(list[0].tenantId, messageId);
      if (!message) continue;
      const r = await this.handler.conclude(
        owner,
        message,
        list.map((row) => ({ row, attempted: false, forceExpire: true, route: row.lastRoute, result: lastKnownResult(row.lastReply) })),
      );
      expired += r.expired;
    }
    await this.store.releaseLease(owner, [...byMessage.keys()]);
    return expired;
  }
}

/** The last problem recorded for a row, as a result again (the DSN reports it). */
function lastKnownResult(lastReply: string | null): AttemptResult {
  const parsed = parseReply(lastReply);
  if (parsed) return { kind: 'reply', ...parsed };
  return { kind: 'connection', errorCode: 'EEXPIRED', message: lastReply ?? 'the lifetime ended before another attempt' };
}
