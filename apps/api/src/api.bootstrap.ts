import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import { AppConfig } from '@app/config';
import { LOGGER, Logger, ShutdownState } from '@app/observability';
import { ApiModule } from './api.module';
import { PinoNestLogger } from '@app/observability';
import { SESSION_COOKIE } from './auth/auth-metadata';

export interface RunningApi {
  app: INestApplication;
  httpPort: number;
  stop(): Promise<void>;
}

/** The OpenAPI document of every controller, served at /api/docs (UI) and /api/docs-json. */
export function setUpApiDocs(app: INestApplication, cfg: Pick<AppConfig, 'PUBLIC_API_URL'>): void {
  const config = new DocumentBuilder()
    .setTitle('Mail continuity admin API')
    .setDescription(
      'Tenants, directory, continuity mode and operations. Sign in with POST /api/auth/login and the TOTP step (session cookie; send X-CSRF-Token on changes), ' +
        'or use a tenant API key as `Authorization: Bearer mcak_…`. Errors are `{statusCode, code, message}`.',
    )
    .setVersion('1')
    .addServer(cfg.PUBLIC_API_URL.replace(/\/+$/, ''))
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'tenant API key (mcak_…)' }, 'api-key')
    .addCookieAuth(SESSION_COOKIE, { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE }, 'session')
    .addSecurityRequirements('api-key')
    .addSecurityRequirements('session')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', yamlDocumentUrl: 'api/docs-yaml' });
}

/** Starts apps/api on API_HTTP_PORT and logs the port bound. */
export async function startApi(cfg: AppConfig): Promise<RunningApi> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forConfig(cfg), { bufferLogs: true, abortOnError: false });
  const log = app.get<Logger>(LOGGER);
  app.useLogger(new PinoNestLogger(log));
  // Behind a reverse proxy on the same host, req.ip is the client's address (sign-in limits, audit log).
  app.set('trust proxy', cfg.TRUST_PROXY);
  app.useBodyParser('json', { limit: cfg.HTTP_JSON_LIMIT_BYTES });
  app.use(cookieParser());
  setUpApiDocs(app, cfg);
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
