import { BadRequestException, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodBody } from '@app/http';
import { TenantsService } from '@app/tenants';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { AdminAuditService } from '../auth/admin-audit.service';
import { CreateTenantBody, DeleteTenantBody, UpdateTenantBody } from './tenant-resources.schemas';
import { tenantView, TenantView } from './tenant-views';

/** Tenants: operators see and manage all of them; a tenant's admins and viewers see their own. */
@ApiTags('tenants')
@Controller('api/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService, private readonly audit: AdminAuditService) {}

  @Get()
  @ApiOperation({ summary: 'Tenants the caller may see: all for an operator, their own otherwise' })
  async list(@CurrentPrincipal() p: Principal): Promise<{ tenants: TenantView[] }> {
    if (p.role === 'operator') return { tenants: (await this.tenants.listTenants()).map(tenantView) };
    return { tenants: p.tenantId ? [tenantView(await this.tenants.findTenantById(p.tenantId))] : [] };
  }

  @Post()
  @Roles('operator')
  @ApiOperation({ summary: 'Create a tenant (with its default upstream group)' })
  async create(@ZodBody(CreateTenantBody) body: CreateTenantBody, @CurrentPrincipal() p: Principal): Promise<TenantView> {
    const { language, ...input } = body;
    let tenant = await this.tenants.createTenant(input);
    if (language) tenant = await this.tenants.updateTenantSettings(tenant.id, { language });
    await this.audit.record(p, tenant.id, 'tenant.create', tenant.id, { slug: tenant.slug, name: tenant.name });
    return tenantView(tenant);
  }

  @Get(':tenantId')
  @ApiOperation({ summary: 'One tenant' })
  async get(@Param('tenantId') tenantId: string): Promise<TenantView> {
    return tenantView(await this.tenants.findTenantById(tenantId));
  }

  @Patch(':tenantId')
  @Roles('operator')
  @ApiOperation({ summary: "Rename a tenant or change its delivery lifetime (admins change the rest through /settings)" })
  async update(@Param('tenantId') tenantId: string, @ZodBody(UpdateTenantBody) body: UpdateTenantBody, @CurrentPrincipal() p: Principal): Promise<TenantView> {
    const tenant = await this.tenants.updateTenant(tenantId, body);
    await this.audit.record(p, tenant.id, 'tenant.update', tenant.id, { ...body });
    return tenantView(tenant);
  }

  @Delete(':tenantId')
  @Roles('operator')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a tenant and all its data; the body must repeat its slug as confirmSlug' })
  async remove(@Param('tenantId') tenantId: string, @ZodBody(DeleteTenantBody) body: { confirmSlug: string }, @CurrentPrincipal() p: Principal): Promise<void> {
    const tenant = await this.tenants.findTenantById(tenantId);
    if (body.confirmSlug !== tenant.slug) {
      throw new BadRequestException({ statusCode: 400, code: 'confirmation_mismatch', message: `confirmSlug: must be the tenant's slug ("${tenant.slug}") to delete it`, field: 'confirmSlug' });
    }
    await this.tenants.deleteTenant(tenant.id);
    // The tenant's own audit rows go with it; this one is kept among the operator's.
    await this.audit.record(p, null, 'tenant.delete', tenant.id, { slug: tenant.slug, name: tenant.name });
  }
}
