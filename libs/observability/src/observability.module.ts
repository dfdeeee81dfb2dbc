import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Queues } from '@app/queues';
import { BLOB_STORE, BlobStore } from '@app/blob-store';
import { createLogger, LOGGER } from './logger';
import { Metrics } from './metrics';
import { HealthController, READINESS_CHECKS, ReadinessCheck, ShutdownState } from './health.controller';

/** Logger, metrics and the health/metrics endpoints every app serves. */
@Global()
@Module({})
export class ObservabilityModule {
  static forApp(app: string): DynamicModule {
    const checks: Provider = {
      provide: READINESS_CHECKS,
      inject: [DataSource, Queues, BLOB_STORE],
      useFactory: (ds: DataSource, queues: Queues, blobs: BlobStore): ReadinessCheck[] => [
        { name: 'postgres', check: async () => { await ds.query('SELECT 1'); } },
        { name: 'redis', check: () => queues.ping() },
        { name: 'blob-store', check: () => blobs.checkWritable() },
      ],
    };
    return {
      module: ObservabilityModule,
      controllers: [HealthController],
      providers: [
        { provide: LOGGER, useFactory: () => createLogger(app) },
        { provide: Metrics, useFactory: () => new Metrics(app) },
        ShutdownState,
        checks,
      ],
      exports: [LOGGER, Metrics, ShutdownState],
    };
  }
}
