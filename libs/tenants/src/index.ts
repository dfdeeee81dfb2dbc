export * from './tenant.entity';
export * from './tenant-domain.entity';
export * from './upstream-group.entity';
export * from './upstream.entity';
