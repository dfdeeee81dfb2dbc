import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodBody } from '@app/http';
import { ConnectorsService, OutboundConnectorView } from '@app/outbound/connectors.service';
import { TenantsService } from '@app/tenants';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { AdminAuditService } from '../auth/admin-audit.service';
import { AddConnectorBody } from './tenant-resources.schemas';

export type ConnectorView = Omit<OutboundConnectorView, 'tenantId' | 'tenantSlug'>;

function connectorView(c: OutboundConnectorView): ConnectorView {
  const { tenantId: _t, tenantSlug: _s, ...rest } = c;
  return rest;
}

/** The outbound connector: how the tenant's Exchange relays through our smarthost (source networks and/or SMTP AUTH). */
@ApiTags('connectors')
@Controller('api/tenants/:tenantId/connectors')
export class ConnectorsController {
  constructor(private readonly connectors: ConnectorsService, private readonly tenants: TenantsService, private readonly audit: AdminAuditService) {}

  @Get()
  @ApiOperation({ summary: "The tenant's outbound connectors" })
  async list(@Param('tenantId') tenantId: string): Promise<{ connectors: ConnectorView[] }> {
    const tenant = await this.tenants.findTenantById(tenantId);
    return { connectors: (await this.connectors.list(tenant.id)).map(connectorView) };
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Add a connector; with SMTP AUTH, the generated password is in this answer only' })
  async add(@Param('tenantId') tenantId: string, @ZodBody(AddConnectorBody) body: z.infer<typeof AddConnectorBody>, @CurrentPrincipal() p: Principal): Promise<{ connector: ConnectorView; password: string | null }> {
    const tenant = await this.tenants.findTenantById(tenantId);
    const { connector, password } = await this.connectors.add(tenant.id, body);
    await this.audit.record(p, tenant.id, 'connector.create', connector.id, { name: connector.name, sourceCidrs: connector.sourceCidrs, authUsername: connector.authUsername });
    return { connector: connectorView(connector), password };
  }

  @Post(':connectorId/password')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new SMTP AUTH password (shown once); the old one stops working at once' })
  async newPassword(@Param('tenantId') tenantId: string, @Param('connectorId') connectorId: string, @CurrentPrincipal() p: Principal): Promise<{ connector: ConnectorView; password: string }> {
    const c = await this.connectors.findById(tenantId, connectorId);
    const { connector, password } = await this.connectors.setPassword(c.tenantId, c.name);
    await this.audit.record(p, c.tenantId, 'connector.password', c.id, { name: c.name });
    return { connector: connectorView(connector), password };
  }

  @Delete(':connectorId')
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a connector (its mail is refused from then on)' })
  async remove(@Param('tenantId') tenantId: string, @Param('connectorId') connectorId: string, @CurrentPrincipal() p: Principal): Promise<void> {
    const c = await this.connectors.remove(tenantId, connectorId);
    await this.audit.record(p, c.tenantId, 'connector.delete', c.id, { name: c.name });
  }
}
