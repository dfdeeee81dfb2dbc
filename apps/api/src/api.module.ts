import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DatabaseModule } from '@app/database';
import { BlobStoreModule } from '@app/blob-store';
import { QueuesModule } from '@app/queues';
import { ObservabilityModule } from '@app/observability';
import { SmsStore } from '@app/sms';
import { ApiHttpErrorFilter } from './http-error.filter';
import { TwilioStatusController } from './twilio-status.controller';

@Module({})
class ApiConfigModule {
  static forConfig(cfg: AppConfig): DynamicModule {
    return { module: ApiConfigModule, global: true, providers: [{ provide: APP_CONFIG, useValue: cfg }], exports: [APP_CONFIG] };
  }
}

/** apps/api: for now Twilio's status callbacks, /health and /metrics; the admin API comes later. */
@Module({})
export class ApiModule {
  static forConfig(cfg: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ApiConfigModule.forConfig(cfg), DatabaseModule.forApp('api'), BlobStoreModule, QueuesModule, ObservabilityModule.forApp('api')],
      controllers: [TwilioStatusController],
      providers: [SmsStore, { provide: APP_FILTER, useClass: ApiHttpErrorFilter }],
    };
  }
}
