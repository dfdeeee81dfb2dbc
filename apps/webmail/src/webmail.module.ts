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

@Module({})
class WebmailConfigModule {
  static forConfig(cfg: AppConfig): DynamicModule {
    return { module: WebmailConfigModule, global: true, providers: [{ provide: APP_CONFIG, useValue: cfg }], exports: [APP_CONFIG] };
  }
}

/** apps/webmail: for now only sign-in with a one-time credential, /health and /metrics. */
@Module({})
export class WebmailModule {
  static forConfig(cfg: AppConfig): DynamicModule {
    return {
      module: WebmailModule,
      imports: [WebmailConfigModule.forConfig(cfg), DatabaseModule.forApp('webmail'), BlobStoreModule, QueuesModule, ObservabilityModule.forApp('webmail'), CredentialsModule],
      controllers: [SigninController],
      providers: [SigninRateLimiter, { provide: APP_FILTER, useClass: WebmailHttpErrorFilter }],
    };
  }
}
