import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodBody, ZodQuery } from '@app/http';
import { AdminAuditService } from '../auth/admin-audit.service';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { AliasView, DirectoryService } from './directory.service';
import { CreateAliasBody, ListAliasesQuery } from './directory-schemas';

/** Further addresses of a mailbox: mail to an alias lands in the mailbox it names. */
@ApiTags('directory')
@Controller('api/tenants/:tenantId/aliases')
export class AliasesController {
  constructor(
    private readonly directory: DirectoryService,
    private readonly audit: AdminAuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Aliases, sorted by address; mailboxId narrows to one mailbox' })
  async list(@Param('tenantId') tenantId: string, @ZodQuery(ListAliasesQuery) q: z.infer<typeof ListAliasesQuery>): Promise<{ items: AliasView[] }> {
    return { items: await this.directory.listAliases(tenantId.toLowerCase(), q.mailboxId) };
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: "Add an alias (an address in the tenant's domains that nothing else uses) to a mailbox" })
  async create(@Param('tenantId') tenantId: string, @ZodBody(CreateAliasBody) body: z.infer<typeof CreateAliasBody>, @CurrentPrincipal() p: Principal): Promise<AliasView> {
    const t = tenantId.toLowerCase();
    const alias = await this.directory.createAlias(t, body.address, body.mailboxId);
    await this.audit.record(p, t, 'alias.create', alias.id, { address: alias.address, mailbox: alias.mailboxAddress });
    return alias;
  }

  @Delete(':aliasId')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({ summary: 'Remove an alias (mail to it is refused from then on, unless the tenant passes unknown recipients through)' })
  async remove(@Param('tenantId') tenantId: string, @Param('aliasId') aliasId: string, @CurrentPrincipal() p: Principal): Promise<void> {
    const t = tenantId.toLowerCase();
    const alias = await this.directory.deleteAlias(t, aliasId);
    await this.audit.record(p, t, 'alias.delete', alias.id, { address: alias.address });
  }
}
