import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Queue, ConnectionOptions, JobsOptions } from 'bullmq';
import IORedis, { Redis } from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/config';
import { QueueName } from './queue-names';

export function redisConnection(cfg: Pick<AppConfig, 'REDIS_URL'>, forWorker = false): Redis {
  // Workers block on Redis; BullMQ requires maxRetriesPerRequest null for them.
  return new IORedis(cfg.REDIS_URL, { maxRetriesPerRequest: forWorker ? null : 3, enableOfflineQueue: forWorker, lazyConnect: false });
}

const DEFAULT_JOB: JobsOptions = { removeOnComplete: true, removeOnFail: 1000, attempts: 1 };

/** Producers for every queue; consumers live in apps/worker. */
@Injectable()
export class Queues implements OnApplicationShutdown {
  readonly connection: Redis;
  private readonly queues = new Map<QueueName, Queue>();

  constructor(@Inject(APP_CONFIG) private readonly cfg: AppConfig) {
    this.connection = redisConnection(cfg);
    this.connection.on('error', () => undefined); // surfaced through readiness and failed adds
  }

  get prefix(): string {
    return this.cfg.REDIS_PREFIX;
  }

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection as unknown as ConnectionOptions, prefix: this.cfg.REDIS_PREFIX, defaultJobOptions: DEFAULT_JOB });
      q.on('error', () => undefined);
      this.queues.set(name, q);
    }
    return q;
  }

  /** Adds a job; a job id already waiting is not added twice (BullMQ dedupes by id). */
  async add<T>(name: QueueName, jobName: string, data: T, jobId: string, delayMs = 0): Promise<void> {
    await this.queue(name).add(jobName, data, { jobId, delay: Math.max(0, delayMs) });
  }

  async ping(): Promise<void> {
    await this.connection.ping();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.connection.disconnect();
  }
}

@Global()
@Module({ providers: [Queues], exports: [Queues] })
export class QueuesModule {}
