import { Global, Module } from '@nestjs/common';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BLOB_STORE } from './blob-store.port';
import { FsBlobStore } from './fs-blob-store';

@Global()
@Module({
  providers: [
    {
      provide: BLOB_STORE,
      inject: [APP_CONFIG],
      useFactory: (cfg: AppConfig) => new FsBlobStore(join(cfg.DATA_DIR, 'blobs'), cfg.BLOB_FSYNC),
    },
  ],
  exports: [BLOB_STORE],
})
export class BlobStoreModule {}
