import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DatabaseModule } from '@app/database';
import { BlobStoreModule } from '@app/blob-store';
import { QueuesModule } from '@app/queues';
import { ObservabilityModule } from '@app/observability';
import { CredentialsModule } from '@app/credentials';
import { WebmailHttpErrorFilter } from './http-error.filter';
import { SigninController } from './signin.controller';
import { SigninRateLimiter } from './signin-rate-limiter';
import { WebmailSessionModule } from './session/webmail-session.module';
import { WebmailReadingModule } from './mail/webmail-reading.module';
import { WebmailComposeModule } from './compose/webmail-compose.module';
import { WebmailAppModule } from './spa/webmail-app.module';

@Module({})
class WebmailConfigModule {
  static forConfig(cfg: AppConfig): DynamicModule {
    return { module: WebmailConfigModule, global: true, providers: [{ provide: APP_CONFIG, useValue: cfg }], exports: [APP_CONFIG] };
  }
}

/** apps/webmail: sign-in, the webmail API and single-page app, /health and /metrics. */
@Module({})
export class WebmailModule {
  static forConfig(cfg: AppConfig): DynamicModule {
    return {
      module: WebmailModule,
      imports: [WebmailConfigModule.forConfig(cfg), DatabaseModule.forApp('webmail'), BlobStoreModule, QueuesModule, ObservabilityModule.forApp('webmail'), CredentialsModule,
        WebmailSessionModule, WebmailReadingModule, WebmailComposeModule, WebmailAppModule,
      ],
      controllers: [SigninController],
      providers: [SigninRateLimiter, { provide: APP_FILTER, useClass: WebmailHttpErrorFilter }],
    };
  }
}
