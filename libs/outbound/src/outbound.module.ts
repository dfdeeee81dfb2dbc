import { Module } from '@nestjs/common';
import { TenantsModule } from '@app/tenants/tenants.module';
import { ConnectorDirectory } from './connector-directory.service';
import { ConnectorsService } from './connectors.service';
import { OUTBOUND_LIMITER, RedisOutboundLimiter } from './outbound-limiter';

/**
 * Outbound connectors (the tenant's Exchange relaying through our smarthost),
 * their rate limits and journal reports. Needs `DataSource` and `APP_CONFIG`
 * in scope.
 */
@Module({
  imports: [TenantsModule],
  providers: [ConnectorDirectory, ConnectorsService, { provide: OUTBOUND_LIMITER, useClass: RedisOutboundLimiter }],
  exports: [ConnectorDirectory, ConnectorsService, OUTBOUND_LIMITER],
})
export class OutboundModule {}
