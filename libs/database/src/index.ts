export * from './data-source';
export * from './database.module';
export * from './migrate';
export * from './tenant-scope';
export * from './entities';
export * from './prepared-statement';
