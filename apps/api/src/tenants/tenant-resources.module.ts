import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ContinuityModule } from '@app/continuity/continuity.module';
import { NodemailerUpstreamProber } from '@app/continuity/nodemailer-upstream-prober';
import { UPSTREAM_PROBER } from '@app/continuity/upstream-prober.port';
import { DKIM_TXT_LOOKUP, SystemDkimTxtLookup } from '@app/dkim/dkim-dns.port';
import { DkimKeysService } from '@app/dkim/dkim-keys.service';
import { OutboundModule } from '@app/outbound/outbound.module';
import { TenantsModule } from '@app/tenants/tenants.module';
import { ConnectorsController } from './connectors.controller';
import { DOMAIN_DNS_LOOKUP, NodeDomainDnsLookup } from './domain-dns.port';
import { TenantDomainsController } from './tenant-domains.controller';
import { TenantDomainsService } from './tenant-domains.service';
import { TenantSettingsController } from './tenant-settings.controller';
import { TenantSettingsService } from './tenant-settings.service';
import { TenantsController } from './tenants.controller';
import { UpstreamGroupsController } from './upstream-groups.controller';
import { UpstreamTestService } from './upstream-test.service';

/**
 * Tenants, domains and their DNS records, upstream groups, the outbound connector, settings.
 * DKIM keys are managed here without the worker's rotation timer (the worker runs it).
 */
@Module({
  imports: [TenantsModule, OutboundModule, ContinuityModule],
  controllers: [TenantsController, TenantDomainsController, UpstreamGroupsController, ConnectorsController, TenantSettingsController],
  providers: [
    TenantDomainsService,
    TenantSettingsService,
    UpstreamTestService,
    DkimKeysService,
    { provide: DKIM_TXT_LOOKUP, useClass: SystemDkimTxtLookup },
    { provide: DOMAIN_DNS_LOOKUP, useClass: NodeDomainDnsLookup },
    { provide: UPSTREAM_PROBER, inject: [APP_CONFIG], useFactory: (cfg: AppConfig) => new NodemailerUpstreamProber(cfg.MX_HOSTNAME) },
  ],
})
export class TenantResourcesModule {}
