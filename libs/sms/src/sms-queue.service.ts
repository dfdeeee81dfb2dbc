import { Injectable } from '@nestjs/common';
import { QueueName, Queues, SendSmsJob, smsJobId } from '@app/queues';
import { SmsStore, QueuedSms } from './sms.store';
import type { NewSms } from './sms.types';

const BULK = 1000;

/**
 * Queues texts: rows first (the queue of record), then BullMQ jobs. If Redis
 * is unavailable the rows stay and the sweeper enqueues them later, so
 * queueing fails only when Postgres does.
 */
@Injectable()
export class SmsQueue {
  constructor(
    readonly store: SmsStore,
    private readonly queues: Queues,
  ) {}

  async queue(texts: NewSms[]): Promise<QueuedSms[]> {
    const rows = await this.store.insert(texts);
    await this.announce(rows);
    return rows;
  }

  async queueForMailboxes(tenantId: string, kind: 'credentials' | 'back-to-normal', opts: Parameters<SmsStore['insertForMailboxes']>[2]): Promise<QueuedSms[]> {
    const rows = await this.store.insertForMailboxes(tenantId, kind, opts);
    await this.announce(rows);
    return rows;
  }

  /** Best effort: the sweeper covers what does not reach Redis. */
  async announce(rows: QueuedSms[]): Promise<void> {
    try {
      const q = this.queues.queue(QueueName.Sms);
      for (let i = 0; i < rows.length; i += BULK) {
        await q.addBulk(
          rows.slice(i, i + BULK).map((r) => ({
            name: 'send-sms',
            data: { smsId: r.id, tenantId: r.tenantId } satisfies SendSmsJob,
            opts: { jobId: smsJobId(r.id, new Date(r.nextAttemptAt)) },
          })),
        );
      }
    } catch {
      // Rows are committed; the sweeper enqueues them within SWEEP_INTERVAL_MS.
    }
  }
}
