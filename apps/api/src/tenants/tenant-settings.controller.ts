import { Controller, Get, Param, Patch } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodBody } from '@app/http';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { AdminAuditService } from '../auth/admin-audit.service';
import { UpdateSettingsBody } from './tenant-resources.schemas';
import { changedSettings, TenantSettingsService, TenantSettingsView } from './tenant-settings.service';

/** Continuity policy, retention, recipients, webmail branding and SMS settings of one tenant. */
@ApiTags('settings')
@Controller('api/tenants/:tenantId/settings')
export class TenantSettingsController {
  constructor(private readonly settings: TenantSettingsService, private readonly audit: AdminAuditService) {}

  @Get()
  @ApiOperation({ summary: "The tenant's settings" })
  get(@Param('tenantId') tenantId: string): Promise<TenantSettingsView> {
    return this.settings.get(tenantId);
  }

  @Patch()
  @Roles('admin')
  @ApiOperation({ summary: 'Change settings: the fields given are set, null clears a nullable one; sms.templates replaces all templates' })
  async update(@Param('tenantId') tenantId: string, @ZodBody(UpdateSettingsBody) body: UpdateSettingsBody, @CurrentPrincipal() p: Principal): Promise<TenantSettingsView> {
    const view = await this.settings.update(tenantId, body, p.role === 'operator');
    await this.audit.record(p, tenantId, 'settings.update', tenantId, changedSettings(body));
    return view;
  }
}
