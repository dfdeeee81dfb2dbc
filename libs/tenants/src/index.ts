export * from './tenant.entity';
export * from './tenant-domain.entity';
export * from './upstream-group.entity';
export * from './upstream.entity';
export * from './tenants.errors';
export * from './domain-verification';
export * from './tenants.service';
export * from './tenants.module';
