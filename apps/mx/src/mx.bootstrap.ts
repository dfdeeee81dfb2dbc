import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { INestApplication } from '@nestjs/common';
import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import { AppConfig } from '@app/config';
import { LOGGER, Logger, ShutdownState } from '@app/observability';
import { MxModule } from './mx.module';
import { PinoNestLogger } from '@app/observability';
import { SmtpListener } from './smtp-listener.service';
import { TLS_MATERIAL, TlsMaterial } from './tls-material';

export interface RunningMx {
  app: INestApplication;
  smtpPort: number;
  httpPort: number;
  /** Drains SMTP (bounded by SHUTDOWN_GRACE_MS), then closes HTTP, Postgres and Redis. */
  stop(): Promise<void>;
}

/** Starts the MX: HTTP (health, metrics) and SMTP, then logs the ports actually bound. */
export async function startMx(cfg: AppConfig): Promise<RunningMx> {
  const app = await NestFactory.create(MxModule.forConfig(cfg), { bufferLogs: true, abortOnError: false });
  const log = app.get<Logger>(LOGGER);
  app.useLogger(new PinoNestLogger(log));
  await app.listen(cfg.MX_HTTP_PORT);
  const httpPort = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  const listener = app.get(SmtpListener);
  const smtpPort = await listener.start();
  if (app.get<TlsMaterial>(TLS_MATERIAL).generated) log.warn({ hostname: cfg.MX_HOSTNAME }, 'STARTTLS uses a self-signed certificate generated at start; set MX_TLS_CERT_FILE and MX_TLS_KEY_FILE in production');
  log.info({ smtpPort, httpPort, hostname: cfg.MX_HOSTNAME }, 'listening');

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      app.get(ShutdownState).draining = true;
      log.info({ graceMs: cfg.SHUTDOWN_GRACE_MS }, 'draining');
      await listener.drain(cfg.SHUTDOWN_GRACE_MS);
      await app.close();
      log.info('stopped');
    })();
    return stopping;
  };
  return { app, smtpPort, httpPort, stop };
}
