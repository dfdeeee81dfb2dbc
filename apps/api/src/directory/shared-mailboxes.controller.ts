import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodBody } from '@app/http';
import { AdminAuditService } from '../auth/admin-audit.service';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { DirectoryService, SharedMailboxView } from './directory.service';
import { SharedMemberBody, SharedMemberPatchBody } from './directory-schemas';

/**
 * Shared mailboxes (mailboxes of kind 'shared', created with POST /mailboxes)
 * and who may use them in the webmail: members read them, and send as them
 * when can_send_as is set.
 */
@ApiTags('directory')
@Controller('api/tenants/:tenantId/shared-mailboxes')
export class SharedMailboxesController {
  constructor(
    private readonly directory: DirectoryService,
    private readonly audit: AdminAuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Shared mailboxes with their members' })
  async list(@Param('tenantId') tenantId: string): Promise<{ items: SharedMailboxView[] }> {
    return { items: await this.directory.listShared(tenantId.toLowerCase()) };
  }

  @Get(':mailboxId')
  @ApiOperation({ summary: 'A shared mailbox with its members' })
  get(@Param('tenantId') tenantId: string, @Param('mailboxId') mailboxId: string): Promise<SharedMailboxView> {
    return this.directory.sharedView(tenantId.toLowerCase(), mailboxId);
  }

  @Post(':mailboxId/members')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: "Add a person's mailbox as a member (for an existing member: set canSendAs)" })
  async addMember(@Param('tenantId') tenantId: string, @Param('mailboxId') mailboxId: string, @ZodBody(SharedMemberBody) body: z.infer<typeof SharedMemberBody>, @CurrentPrincipal() p: Principal): Promise<SharedMailboxView> {
    const t = tenantId.toLowerCase();
    const r = await this.directory.putSharedMember(t, mailboxId, body.mailboxId, body.canSendAs);
    await this.audit.record(p, t, r.added ? 'shared_mailbox.member_add' : 'shared_mailbox.member_update', r.shared.id, { sharedMailbox: r.shared.address, member: r.member.address, canSendAs: body.canSendAs });
    return this.directory.sharedView(t, r.shared.id);
  }

  @Patch(':mailboxId/members/:memberId')
  @Roles('admin')
  @ApiOperation({ summary: 'Allow or forbid a member to send as the shared mailbox' })
  async updateMember(@Param('tenantId') tenantId: string, @Param('mailboxId') mailboxId: string, @Param('memberId') memberId: string, @ZodBody(SharedMemberPatchBody) body: z.infer<typeof SharedMemberPatchBody>, @CurrentPrincipal() p: Principal): Promise<SharedMailboxView> {
    const t = tenantId.toLowerCase();
    const shared = await this.directory.updateSharedMember(t, mailboxId, memberId, body.canSendAs);
    await this.audit.record(p, t, 'shared_mailbox.member_update', shared.id, { sharedMailbox: shared.address, memberId, canSendAs: body.canSendAs });
    return this.directory.sharedView(t, shared.id);
  }

  @Delete(':mailboxId/members/:memberId')
  @Roles('admin')
  @ApiOperation({ summary: 'Remove a member (the webmail stops showing the shared mailbox to them)' })
  async removeMember(@Param('tenantId') tenantId: string, @Param('mailboxId') mailboxId: string, @Param('memberId') memberId: string, @CurrentPrincipal() p: Principal): Promise<SharedMailboxView> {
    const t = tenantId.toLowerCase();
    const shared = await this.directory.removeSharedMember(t, mailboxId, memberId);
    await this.audit.record(p, t, 'shared_mailbox.member_remove', shared.id, { sharedMailbox: shared.address, memberId });
    return this.directory.sharedView(t, shared.id);
  }
}
