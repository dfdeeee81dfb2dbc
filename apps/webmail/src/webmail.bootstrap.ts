import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { INestApplication } from '@nestjs/common';
import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import { AppConfig } from '@app/config';
import { LOGGER, Logger, ShutdownState } from '@app/observability';
import { WebmailModule } from './webmail.module';
import { PinoNestLogger } from '@app/observability';

export interface RunningWebmail {
  app: INestApplication;
  httpPort: number;
  stop(): Promise<void>;
}

/** Starts apps/webmail on WEBMAIL_HTTP_PORT and logs the port bound. */
export async function startWebmail(cfg: AppConfig): Promise<RunningWebmail> {
  const app = await NestFactory.create(WebmailModule.forConfig(cfg), { bufferLogs: true, abortOnError: false });
  const log = app.get<Logger>(LOGGER);
  app.useLogger(new PinoNestLogger(log));
  await app.listen(cfg.WEBMAIL_HTTP_PORT);
  const httpPort = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  log.info({ httpPort, publicUrl: cfg.PUBLIC_WEBMAIL_URL }, 'listening');
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
