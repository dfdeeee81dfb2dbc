import { Inject, Injectable } from '@nestjs/common';
import { QueueName, Queues, SendSmsJob, smsJobId } from '@app/queues';
import { LOGGER, Logger } from '@app/observability';
import { SmsStore } from './sms.store';

const DUE_SLACK_MS = 2000;
const BATCH = 1000;

/**
 * Redis only schedules texts: every sweep enqueues due rows nobody holds (a
 * lost job, a Redis flush, a worker that died mid-send). Job ids are
 * deterministic, so sweeping twice or from several replicas adds nothing twice.
 */
@Injectable()
export class SmsSweeper {
  constructor(
    private readonly store: SmsStore,
    private readonly queues: Queues,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async sweepOnce(): Promise<number> {
    const queue = this.queues.queue(QueueName.Sms);
    let enqueued = 0;
    for (const r of await this.store.dueUnleased(DUE_SLACK_MS, BATCH)) {
      let jobId = smsJobId(r.id, new Date(r.nextAttemptAt));
      // 'sending' with an expired lease: the job that held it belonged to a dead worker.
      if (r.state === 'sending' && r.leaseExpiresAt) jobId = `${jobId}.after-lease.${new Date(r.leaseExpiresAt).getTime()}`;
      const state = await queue.getJobState(jobId);
      if (state === 'waiting' || state === 'delayed' || state === 'active' || state === 'prioritized' || state === 'waiting-children') continue;
      if (state === 'failed' || state === 'completed') await queue.remove(jobId).catch(() => 0);
      await queue.add('send-sms', { smsId: r.id, tenantId: r.tenantId } satisfies SendSmsJob, { jobId });
      enqueued++;
    }
    if (enqueued) this.logger.info({ enqueued }, 'sms sweep re-enqueued texts');
    return enqueued;
  }
}
