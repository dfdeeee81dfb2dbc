import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodBody } from '@app/http';
import { CurrentPrincipal, Principal, Roles } from './principal';
import { AdminUsersService, adminUserView, AdminUserView } from '@app/admin-access';
import { AdminSessionsService } from './admin-sessions.service';
import { AdminAuditService } from './admin-audit.service';
import { MAX_PASSWORD_LENGTH } from '@app/admin-access';

const CreateAdminBody = z.object({
  email: z.string().trim().email().max(320),
  name: z.string().trim().min(1).max(200),
  role: z.enum(['admin', 'viewer']),
  password: z.string().max(MAX_PASSWORD_LENGTH),
});

const UpdateAdminBody = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  role: z.enum(['admin', 'viewer']).optional(),
  password: z.string().max(MAX_PASSWORD_LENGTH).optional(),
  unlock: z.literal(true).optional(),
  resetTotp: z.literal(true).optional(),
});

/**
 * A tenant's admins and viewers, managed by the provider's operators. (Operators
 * themselves are created only with the CLI, on the server.)
 */
@ApiTags('tenant-admins')
@Controller('api/tenants/:tenantId/admins')
@Roles('operator')
export class TenantAdminsController {
  constructor(private readonly users: AdminUsersService, private readonly sessions: AdminSessionsService, private readonly audit: AdminAuditService) {}

  @Get()
  @ApiOperation({ summary: "The tenant's admins and viewers" })
  async list(@Param('tenantId') tenantId: string): Promise<AdminUserView[]> {
    return (await this.users.listOfTenant(tenantId.toLowerCase())).map(adminUserView);
  }

  @Post()
  @ApiOperation({ summary: 'Create an admin or viewer with an initial password; they enrol TOTP at first sign-in' })
  async create(@Param('tenantId') tenantId: string, @ZodBody(CreateAdminBody) body: z.infer<typeof CreateAdminBody>, @CurrentPrincipal() p: Principal): Promise<AdminUserView> {
    const u = await this.users.create({ ...body, tenantId: tenantId.toLowerCase() });
    await this.audit.record(p, u.tenant_id, 'admin.create', u.id, { email: u.email, role: u.role });
    return adminUserView(u);
  }

  @Patch(':adminId')
  @ApiOperation({ summary: 'Rename, change role, set a new password, unlock, or reset TOTP (the last two end their sessions)' })
  async update(
    @Param('tenantId') tenantId: string,
    @Param('adminId') adminId: string,
    @ZodBody(UpdateAdminBody) body: z.infer<typeof UpdateAdminBody>,
    @CurrentPrincipal() p: Principal,
  ): Promise<AdminUserView> {
    const before = await this.users.inTenant(tenantId.toLowerCase(), adminId);
    const after = await this.users.update(before.id, body);
    if (body.password || body.resetTotp || (body.role && body.role !== before.role)) await this.sessions.destroyAllOf(before.id);
    await this.audit.record(p, before.tenant_id, 'admin.update', before.id, {
      email: before.email,
      ...(body.name ? { name: body.name } : {}),
      ...(body.role ? { role: { from: before.role, to: body.role } } : {}),
      ...(body.password ? { passwordSet: true } : {}),
      ...(body.unlock ? { unlocked: true } : {}),
      ...(body.resetTotp ? { totpReset: true } : {}),
    });
    return adminUserView(after);
  }

  @Delete(':adminId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an admin or viewer (their sessions end)' })
  async remove(@Param('tenantId') tenantId: string, @Param('adminId') adminId: string, @CurrentPrincipal() p: Principal): Promise<void> {
    const u = await this.users.inTenant(tenantId.toLowerCase(), adminId);
    await this.users.remove(u.id);
    await this.audit.record(p, u.tenant_id, 'admin.delete', u.id, { email: u.email, role: u.role });
  }
}
