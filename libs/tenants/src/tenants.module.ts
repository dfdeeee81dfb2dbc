import { Module } from '@nestjs/common';
import { NodeDnsTxtLookup, TXT_LOOKUP } from './domain-verification';
import { TenantsService } from './tenants.service';

/** Needs a `DataSource` provider in scope (DatabaseModule.forApp). */
@Module({
  providers: [TenantsService, { provide: TXT_LOOKUP, useFactory: () => new NodeDnsTxtLookup() }],
  exports: [TenantsService],
})
export class TenantsModule {}
