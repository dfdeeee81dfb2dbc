import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { INestApplication } from '@nestjs/common';
import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import { AppConfig } from '@app/config';
import { LOGGER, Logger, ShutdownState } from '@app/observability';
import { PinoNestLogger } from '@app/observability';
import { QueueWorkers } from './queue-workers.service';
import { WorkerModule } from './worker.module';

export interface RunningWorker {
  app: INestApplication;
  httpPort: number;
  /** Stops taking jobs, lets running ones finish (bounded by SHUTDOWN_GRACE_MS), then closes HTTP, Postgres and Redis. */
  stop(): Promise<void>;
}

/** Starts the worker: HTTP (health, metrics), the queue consumers and the sweeper; logs the port bound. */
export async function startWorker(cfg: AppConfig): Promise<RunningWorker> {
  const app = await NestFactory.create(WorkerModule.forConfig(cfg), { bufferLogs: true, abortOnError: false });
  const log = app.get<Logger>(LOGGER);
  app.useLogger(new PinoNestLogger(log));
  await app.listen(cfg.WORKER_HTTP_PORT);
  const httpPort = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  const workers = app.get(QueueWorkers);
  await workers.start();
  log.info({ httpPort, concurrency: cfg.WORKER_CONCURRENCY, prefix: cfg.REDIS_PREFIX }, 'listening');

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      app.get(ShutdownState).draining = true;
      log.info({ graceMs: cfg.SHUTDOWN_GRACE_MS }, 'draining');
      await workers.stop(cfg.SHUTDOWN_GRACE_MS);
      await app.close();
      log.info('stopped');
    })();
    return stopping;
  };
  return { app, httpPort, stop };
}
