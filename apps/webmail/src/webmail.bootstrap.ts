import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import cookieParser from 'cookie-parser';
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

/**
 * Defaults for every answer; a route may set its own (the single-page app's
 * hashed assets are cached, a message frame gets a stricter policy). No
 * inline script anywhere, no framing, no Referer, nothing cached.
 */
export const WEBMAIL_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; " +
  "frame-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', WEBMAIL_CSP);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  next();
}

/** Starts apps/webmail on WEBMAIL_HTTP_PORT and logs the port bound. */
export async function startWebmail(cfg: AppConfig): Promise<RunningWebmail> {
  const app = await NestFactory.create<NestExpressApplication>(WebmailModule.forConfig(cfg), { bufferLogs: true, abortOnError: false });
  const log = app.get<Logger>(LOGGER);
  app.useLogger(new PinoNestLogger(log));
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  // Behind the TLS proxy, req.ip must be the employee's address: sign-in limits count per client.
  app.set('trust proxy', cfg.TRUST_PROXY);
  // A draft that quotes a long message is bigger than Express's 100 kB default.
  app.useBodyParser('json', { limit: cfg.HTTP_JSON_LIMIT_BYTES });
  app.use(securityHeaders);
  app.use(cookieParser());
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
