export * from './blob-store.port';
export * from './fs-blob-store';
export * from './blob-store.module';
