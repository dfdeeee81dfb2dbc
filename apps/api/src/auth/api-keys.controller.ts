import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodBody } from '@app/http';
import { CurrentPrincipal, Principal, Roles } from './principal';
import { ApiKeysService, ApiKeyView } from './api-keys.service';
import { AdminAuditService } from './admin-audit.service';

const CreateKeyBody = z.object({
  name: z.string().trim().min(1).max(100),
  role: z.enum(['admin', 'viewer']).default('viewer'),
});

/** A tenant's API keys (Authorization: Bearer mcak_…), for automation; the secret is shown once. */
@ApiTags('api-keys')
@Controller('api/tenants/:tenantId/api-keys')
@Roles('admin')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService, private readonly audit: AdminAuditService) {}

  @Get()
  @ApiOperation({ summary: "The tenant's API keys (never their secrets)" })
  list(@Param('tenantId') tenantId: string): Promise<ApiKeyView[]> {
    return this.keys.list(tenantId.toLowerCase());
  }

  @Post()
  @ApiOperation({ summary: 'Create a key; the answer holds its secret, which is not shown again' })
  async create(@Param('tenantId') tenantId: string, @ZodBody(CreateKeyBody) body: z.infer<typeof CreateKeyBody>, @CurrentPrincipal() p: Principal): Promise<ApiKeyView & { secret: string }> {
    const key = await this.keys.create(tenantId.toLowerCase(), body.name, body.role, p);
    await this.audit.record(p, tenantId.toLowerCase(), 'api_key.create', key.id, { name: key.name, role: key.role, prefix: key.prefix });
    return key;
  }

  @Delete(':keyId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a key (it stops working at once; the row stays for the record)' })
  async revoke(@Param('tenantId') tenantId: string, @Param('keyId') keyId: string, @CurrentPrincipal() p: Principal): Promise<void> {
    const key = await this.keys.revoke(tenantId.toLowerCase(), keyId);
    await this.audit.record(p, tenantId.toLowerCase(), 'api_key.revoke', key.id, { name: key.name, prefix: key.prefix });
  }
}
