import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { INestApplication } from '@nestjs/common';
import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import { AppConfig } from '@app/config';
import { LOGGER, Logger, ShutdownState } from '@app/observability';
import { ApiModule } from './api.module';
import { PinoNestLogger } from '@app/observability';

export interface RunningApi {
  app: INestApplication;
  httpPort: number;
  stop(): Promise<void>;
}

/** Starts apps/api on API_HTTP_PORT and logs the port bound. */
export async function startApi(cfg: AppConfig): Promise<RunningApi> {
  const app = await NestFactory.create(ApiModule.forConfig(cfg), { bufferLogs: true, abortOnError: false });
  const log = app.get<Logger>(LOGGER);
  app.useLogger(new PinoNestLogger(log));
  await app.listen(cfg.API_HTTP_PORT);
  const httpPort = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  log.info({ httpPort, publicUrl: cfg.PUBLIC_API_URL }, 'listening');
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      app.get(ShutdownState).draining = true;
      log.info('draining');
      await app.close();
      log.info('stopped');
    })();
    return stopping;
  };
  return { app, httpPort, stop };
}
