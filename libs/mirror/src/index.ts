export * from './message-indexer.service';
export * from './mirror.module';
