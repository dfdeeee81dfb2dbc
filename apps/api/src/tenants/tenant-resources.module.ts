import { Module } from '@nestjs/common';

/** Tenants, domains and their DNS records, upstream groups, the outbound connector, settings. */
@Module({})
export class TenantResourcesModule {}
