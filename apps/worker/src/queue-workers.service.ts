import { Inject, Injectable } from '@nestjs/common';
import { ConnectionOptions, Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ApplyTransitionEffectsJob, DeliverMessageJob, IndexMessageJob, SendSmsJob, QueueName, Queues, redisConnection } from '@app/queues';
import { LOGGER, Logger } from '@app/observability';
import { DeliverMessageHandler, DeliverySweeper } from '@app/delivery';
import { MessageIndexer } from '@app/mirror';
import { RetentionService } from '@app/retention';
import { ApplyTransitionEffectsHandler, ContinuityWorker } from '@app/continuity';
import { SendSmsHandler, SmsSweeper } from '@app/sms';

export const RETENTION_SCHEDULER_ID = 'retention';
export const RETENTION_JOB = 'run-retention';

/**
 * The worker's consumers: BullMQ workers for delivery, indexing and
 * maintenance, and the sweeper's timer. start() and stop() are explicit so the
 * shutdown order is ours: stop taking jobs, let running ones finish, then let
 * Nest close Postgres and Redis.
 */
@Injectable()
export class QueueWorkers {
  private readonly workers: { worker: Worker; connection: Redis }[] = [];
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    private readonly deliver: DeliverMessageHandler,
    private readonly sweeper: DeliverySweeper,
    private readonly indexer: MessageIndexer,
    private readonly retention: RetentionService,
    private readonly sendSms: SendSmsHandler,
    private readonly smsSweeper: SmsSweeper,
    private readonly transitionEffects: ApplyTransitionEffectsHandler,
    private readonly continuity: ContinuityWorker,
    private readonly queues: Queues,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.consume<DeliverMessageJob>(QueueName.Delivery, this.cfg.WORKER_CONCURRENCY, (job) => this.deliver.run(job.data));
    this.consume<IndexMessageJob>(QueueName.Index, this.cfg.INDEX_CONCURRENCY, (job) => this.indexer.index(job.data));
    this.consume<SendSmsJob>(QueueName.Sms, this.cfg.SMS_CONCURRENCY, (job) => this.sendSms.run(job.data));
    this.consume<ApplyTransitionEffectsJob>(QueueName.Continuity, 4, (job) => this.transitionEffects.run(job.data));
    this.consume<unknown>(QueueName.Maintenance, 1, async (job) => {
      if (job.name === RETENTION_JOB) return this.retention.runOnce();
      throw new Error(`unknown maintenance job ${job.name}`);
    });
    await this.queues.queue(QueueName.Maintenance).upsertJobScheduler(RETENTION_SCHEDULER_ID, { every: this.cfg.RETENTION_INTERVAL_MS }, { name: RETENTION_JOB });
    this.sweepTimer = setInterval(() => this.sweepNow(), this.cfg.SWEEP_INTERVAL_MS);
    this.continuity.start(); // probes, circuit breaker, transition-effects sweeper
    this.sweepNow();
  }

  /** Runs one sweep unless one is running (sweeps never overlap). */
  sweepNow(): Promise<unknown> {
    if (this.stopped) return Promise.resolve();
    this.sweeping ??= Promise.all([this.sweeper.sweepOnce(), this.smsSweeper.sweepOnce()])
      .catch((e) => this.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'sweep failed'))
      .finally(() => {
        this.sweeping = null;
      });
    return this.sweeping;
  }

  private consume<T>(name: QueueName, concurrency: number, run: (job: Job<T>) => Promise<unknown>): void {
    const connection = redisConnection(this.cfg, true);
    connection.on('error', () => undefined); // BullMQ reconnects; failures show in readiness and job errors
    const worker = new Worker<T>(
      name,
      async (job) => {
        const result = await run(job);
        return result ?? null;
      },
      { connection: connection as unknown as ConnectionOptions, prefix: this.cfg.REDIS_PREFIX, concurrency, autorun: true },
    );
    worker.on('failed', (job, err) => {
      const data = (job?.data ?? {}) as { messageId?: string };
      this.logger.error({ queue: name, jobId: job?.id, messageId: data.messageId, err: err.message }, 'job failed; the sweeper will retry it');
    });
    worker.on('error', (err) => this.logger.warn({ queue: name, err: err.message }, 'queue worker error'));
    this.workers.push({ worker, connection });
  }

  /** Stops taking jobs and waits for running ones, up to graceMs; what is cut short is recovered by lease expiry. */
  async stop(graceMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.continuity.stop();
    const closing = Promise.all([this.sweeping, ...this.workers.map(({ worker }) => worker.close())]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      closing.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.logger.warn({ graceMs }, 'jobs still running after the grace period; closing anyway (their leases will expire)');
      await Promise.all(this.workers.map(({ worker }) => worker.close(true).catch(() => undefined)));
    }
    for (const { connection } of this.workers) connection.disconnect();
  }
}
