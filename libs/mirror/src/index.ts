export * from './message-indexer.service';
export * from './mirror.module';
export { mirrorSearchTsQuery } from './search-query';
