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
import { AdminAuthModule } from './auth/admin-auth.module';
import { TenantResourcesModule } from './tenants/tenant-resources.module';
import { DirectoryResourcesModule } from './directory/directory-resources.module';
import { ScimModule } from './scim/scim.module';
import { ContinuityOperationsModule } from './continuity/continuity-operations.module';
import { OperatorToolsModule } from './operator/operator-tools.module';
import { AdminConsoleModule } from './console/admin-console.module';

@Module({})
class ApiConfigModule {
  static forConfig(cfg: AppConfig): DynamicModule {
    return { module: ApiConfigModule, global: true, providers: [{ provide: APP_CONFIG, useValue: cfg }], exports: [APP_CONFIG] };
  }
}

/** apps/api: the admin API and console, SCIM, Twilio's status callbacks, /health and /metrics. */
@Module({})
export class ApiModule {
  static forConfig(cfg: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ApiConfigModule.forConfig(cfg), DatabaseModule.forApp('api'), BlobStoreModule, QueuesModule, ObservabilityModule.forApp('api'),
        AdminAuthModule, TenantResourcesModule, DirectoryResourcesModule, ScimModule, ContinuityOperationsModule, OperatorToolsModule, AdminConsoleModule,
      ],
      controllers: [TwilioStatusController],
      providers: [SmsStore, { provide: APP_FILTER, useClass: ApiHttpErrorFilter }],
    };
  }
}
