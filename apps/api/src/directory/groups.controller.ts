import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodBody, ZodQuery } from '@app/http';
import { AdminAuditService } from '../auth/admin-audit.service';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { DirectoryService, GroupDetail } from './directory.service';
import { GroupView } from './directory-views';
import { CreateGroupBody, GroupMemberBody, ListGroupsQuery, UpdateGroupBody } from './directory-schemas';

/** Distribution groups: mail to the group's address is mirrored into each member's standby mailbox. */
@ApiTags('directory')
@Controller('api/tenants/:tenantId/groups')
export class GroupsController {
  constructor(
    private readonly directory: DirectoryService,
    private readonly audit: AdminAuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Distribution groups with their member counts; q searches address and display name' })
  async list(@Param('tenantId') tenantId: string, @ZodQuery(ListGroupsQuery) q: z.infer<typeof ListGroupsQuery>): Promise<{ items: GroupView[] }> {
    return { items: await this.directory.listGroups(tenantId.toLowerCase(), q.q) };
  }

  @Get(':groupId')
  @ApiOperation({ summary: 'A distribution group with its members' })
  get(@Param('tenantId') tenantId: string, @Param('groupId') groupId: string): Promise<GroupDetail> {
    return this.directory.groupDetail(tenantId.toLowerCase(), groupId);
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Create a distribution group, optionally with members (mailbox ids)' })
  async create(@Param('tenantId') tenantId: string, @ZodBody(CreateGroupBody) body: z.infer<typeof CreateGroupBody>, @CurrentPrincipal() p: Principal): Promise<GroupDetail> {
    const t = tenantId.toLowerCase();
    const g = await this.directory.createGroup(t, body);
    await this.audit.record(p, t, 'group.create', g.id, { address: g.address, members: body.memberIds?.length ?? 0 });
    return this.directory.groupDetail(t, g.id);
  }

  @Patch(':groupId')
  @Roles('admin')
  @ApiOperation({ summary: "Change a group's display name" })
  async update(@Param('tenantId') tenantId: string, @Param('groupId') groupId: string, @ZodBody(UpdateGroupBody) body: z.infer<typeof UpdateGroupBody>, @CurrentPrincipal() p: Principal): Promise<GroupDetail> {
    const t = tenantId.toLowerCase();
    const g = await this.directory.updateGroup(t, groupId, { displayName: body.displayName });
    await this.audit.record(p, t, 'group.update', g.id, { address: g.address, fields: ['displayName'] });
    return this.directory.groupDetail(t, g.id);
  }

  @Delete(':groupId')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({ summary: "Delete a group (its members' mailboxes are untouched)" })
  async remove(@Param('tenantId') tenantId: string, @Param('groupId') groupId: string, @CurrentPrincipal() p: Principal): Promise<void> {
    const t = tenantId.toLowerCase();
    const g = await this.directory.deleteGroup(t, groupId);
    await this.audit.record(p, t, 'group.delete', g.id, { address: g.address });
  }

  @Post(':groupId/members')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Add a mailbox to the group (adding it twice is not an error)' })
  async addMember(@Param('tenantId') tenantId: string, @Param('groupId') groupId: string, @ZodBody(GroupMemberBody) body: z.infer<typeof GroupMemberBody>, @CurrentPrincipal() p: Principal): Promise<GroupDetail> {
    const t = tenantId.toLowerCase();
    const r = await this.directory.addGroupMember(t, groupId, body.mailboxId);
    if (r.added) await this.audit.record(p, t, 'group.member_add', r.group.id, { group: r.group.address, member: r.mailbox.address });
    return this.directory.groupDetail(t, r.group.id);
  }

  @Delete(':groupId/members/:mailboxId')
  @Roles('admin')
  @ApiOperation({ summary: 'Remove a mailbox from the group' })
  async removeMember(@Param('tenantId') tenantId: string, @Param('groupId') groupId: string, @Param('mailboxId') mailboxId: string, @CurrentPrincipal() p: Principal): Promise<GroupDetail> {
    const t = tenantId.toLowerCase();
    const g = await this.directory.removeGroupMember(t, groupId, mailboxId);
    await this.audit.record(p, t, 'group.member_remove', g.id, { group: g.address, memberId: mailboxId });
    return this.directory.groupDetail(t, g.id);
  }
}
