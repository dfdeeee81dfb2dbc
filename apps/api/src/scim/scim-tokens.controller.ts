import { Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ZodBody } from '@app/http';
import { AdminAuditService } from '../auth/admin-audit.service';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { ScimTokensService, ScimTokenView } from './scim-tokens.service';

const CreateScimTokenBody = z.strictObject({ name: z.string().trim().min(1).max(100) });

/** Tokens for the tenant's identity provider (Entra ID, Okta) to provision users and groups over SCIM. */
@ApiTags('scim')
@Controller('api/tenants/:tenantId/scim-tokens')
@Roles('admin')
export class ScimTokensController {
  constructor(
    private readonly tokens: ScimTokensService,
    private readonly audit: AdminAuditService,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'PUBLIC_API_URL'>,
  ) {}

  @Get()
  @ApiOperation({ summary: "The tenant's SCIM tokens (never the tokens themselves)" })
  async list(@Param('tenantId') tenantId: string): Promise<{ items: ScimTokenView[] }> {
    return { items: await this.tokens.list(tenantId.toLowerCase()) };
  }

  @Post()
  @ApiOperation({ summary: 'Create a token; the answer holds it and the SCIM base URL (the "Tenant URL" in Entra), and the token is not shown again' })
  async create(@Param('tenantId') tenantId: string, @ZodBody(CreateScimTokenBody) body: z.infer<typeof CreateScimTokenBody>, @CurrentPrincipal() p: Principal): Promise<ScimTokenView & { token: string; scimBaseUrl: string }> {
    const t = tenantId.toLowerCase();
    const created = await this.tokens.create(t, body.name, p.name);
    await this.audit.record(p, t, 'scim_token.create', created.id, { name: created.name, prefix: created.prefix });
    return { ...created, scimBaseUrl: `${this.cfg.PUBLIC_API_URL.replace(/\/+$/, '')}/scim/v2` };
  }

  @Delete(':tokenId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a token: SCIM calls with it are refused (401) from now on' })
  async revoke(@Param('tenantId') tenantId: string, @Param('tokenId') tokenId: string, @CurrentPrincipal() p: Principal): Promise<void> {
    const t = tenantId.toLowerCase();
    const token = await this.tokens.revoke(t, tokenId);
    await this.audit.record(p, t, 'scim_token.revoke', token.id, { name: token.name, prefix: token.prefix });
  }
}
