import { DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DatabaseModule } from '@app/database';
import { BlobStoreModule } from '@app/blob-store';
import { QueuesModule } from '@app/queues';
import { ObservabilityModule } from '@app/observability';
import { DeliveryModule } from '@app/delivery';
import { MirrorModule } from '@app/mirror';
import { RetentionModule } from '@app/retention';
import { RecoveryModule } from '@app/continuity/recovery';
import { SmsModule } from '@app/sms';
import { NotificationsModule } from '@app/notifications';
import { CredentialsModule } from '@app/credentials';
import { ContinuityModule } from '@app/continuity';
import { QueueWorkers } from './queue-workers.service';

/** The validated configuration, given to the whole application (tests pass their own). */
@Module({})
class WorkerConfigModule {
  static forConfig(cfg: AppConfig): DynamicModule {
    return { module: WorkerConfigModule, global: true, providers: [{ provide: APP_CONFIG, useValue: cfg }], exports: [APP_CONFIG] };
  }
}

/** apps/worker: delivery, indexing, retention and the sweeper, plus /health and /metrics over HTTP. */
@Module({})
export class WorkerModule {
  static forConfig(cfg: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        WorkerConfigModule.forConfig(cfg),
        DatabaseModule.forApp('worker'),
        BlobStoreModule,
        QueuesModule,
        ObservabilityModule.forApp('worker'),
        ContinuityModule,
        DeliveryModule,
        MirrorModule,
        RetentionModule,
        SmsModule,
        NotificationsModule,
        CredentialsModule,
        RecoveryModule,
      ],
      providers: [QueueWorkers],
    };
  }
}
