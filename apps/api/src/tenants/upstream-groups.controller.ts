import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { HttpError, ZodBody } from '@app/http';
import { ContinuityService } from '@app/continuity/continuity.service';
import { TenantsService, upstreamHostProblem } from '@app/tenants';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { AdminAuditService } from '../auth/admin-audit.service';
import { AddUpstreamBody, TestUpstreamGroupBody, UpdateUpstreamBody, UpstreamGroupBody } from './tenant-resources.schemas';
import { upstreamGroupView, UpstreamGroupView, upstreamView, UpstreamView } from './tenant-views';
import { UpstreamGroupTest, UpstreamTestService } from './upstream-test.service';

/** The tenant's Exchange servers (upstreams) in groups, and a test that connects to them now. */
@ApiTags('upstream-groups')
@Controller('api/tenants/:tenantId/upstream-groups')
export class UpstreamGroupsController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly tester: UpstreamTestService,
    private readonly continuity: ContinuityService,
    private readonly audit: AdminAuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Upstream groups with their upstreams (lower priority is tried first)' })
  async list(@Param('tenantId') tenantId: string): Promise<{ groups: UpstreamGroupView[] }> {
    await this.tenants.findTenantById(tenantId);
    return { groups: (await this.tenants.upstreamGroupsOf(tenantId)).map(upstreamGroupView) };
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Create an upstream group' })
  async create(@Param('tenantId') tenantId: string, @ZodBody(UpstreamGroupBody) body: { name: string }, @CurrentPrincipal() p: Principal): Promise<UpstreamGroupView> {
    const tenant = await this.tenants.findTenantById(tenantId);
    const g = await this.tenants.createUpstreamGroup(tenant.id, body.name);
    await this.audit.record(p, tenant.id, 'upstream_group.create', g.id, { name: g.name });
    return upstreamGroupView({ ...g, upstreams: [] });
  }

  @Get(':groupId')
  @ApiOperation({ summary: 'One upstream group' })
  async get(@Param('tenantId') tenantId: string, @Param('groupId') groupId: string): Promise<UpstreamGroupView> {
    return upstreamGroupView(await this.tenants.findUpstreamGroupById(tenantId, groupId));
  }

  @Patch(':groupId')
  @Roles('admin')
  @ApiOperation({ summary: 'Rename an upstream group' })
  async rename(@Param('tenantId') tenantId: string, @Param('groupId') groupId: string, @ZodBody(UpstreamGroupBody) body: { name: string }, @CurrentPrincipal() p: Principal): Promise<UpstreamGroupView> {
    const g = await this.tenants.renameUpstreamGroup(tenantId, groupId, body.name);
    await this.audit.record(p, tenantId, 'upstream_group.update', g.id, { name: g.name });
    return upstreamGroupView(g);
  }

  @Delete(':groupId')
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an upstream group and its upstreams' })
  async remove(@Param('tenantId') tenantId: string, @Param('groupId') groupId: string, @CurrentPrincipal() p: Principal): Promise<void> {
    const g = await this.tenants.deleteUpstreamGroup(tenantId, groupId);
    await this.audit.record(p, tenantId, 'upstream_group.delete', g.id, { name: g.name });
  }

  @Post(':groupId/upstreams')
  @Roles('admin')
  @ApiOperation({ summary: 'Add an upstream (host, port, priority, TLS policy verify | pinned | none)' })
  async addUpstream(
    @Param('tenantId') tenantId: string,
    @Param('groupId') groupId: string,
    @ZodBody(AddUpstreamBody) body: z.infer<typeof AddUpstreamBody>,
    @CurrentPrincipal() p: Principal,
  ): Promise<UpstreamView> {
    assertHostAllowed(p, body.host);
    const u = upstreamView(await this.tenants.addUpstreamToGroup(tenantId, groupId, body, { byOperator: p.role === 'operator' }));
    await this.audit.record(p, tenantId, 'upstream.create', u.id, { groupId, host: u.host, port: u.port, priority: u.priority, tlsPolicy: u.tlsPolicy, pinnedCertSha256: u.pinnedCertSha256, privateAddressAllowed: u.privateAddressAllowed });
    return u;
  }

  @Patch(':groupId/upstreams/:upstreamId')
  @Roles('admin')
  @ApiOperation({ summary: 'Change an upstream; the fields given replace the stored ones' })
  async updateUpstream(
    @Param('tenantId') tenantId: string,
    @Param('groupId') groupId: string,
    @Param('upstreamId') upstreamId: string,
    @ZodBody(UpdateUpstreamBody) body: z.infer<typeof UpdateUpstreamBody>,
    @CurrentPrincipal() p: Principal,
  ): Promise<UpstreamView> {
    if (body.host !== undefined) assertHostAllowed(p, body.host);
    const u = upstreamView(await this.tenants.updateUpstream(tenantId, groupId, upstreamId, body, { byOperator: p.role === 'operator' }));
    await this.audit.record(p, tenantId, 'upstream.update', u.id, { groupId, host: u.host, port: u.port, priority: u.priority, tlsPolicy: u.tlsPolicy, pinnedCertSha256: u.pinnedCertSha256, privateAddressAllowed: u.privateAddressAllowed });
    return u;
  }

  @Delete(':groupId/upstreams/:upstreamId')
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an upstream' })
  async removeUpstream(@Param('tenantId') tenantId: string, @Param('groupId') groupId: string, @Param('upstreamId') upstreamId: string, @CurrentPrincipal() p: Principal): Promise<void> {
    const u = await this.tenants.deleteUpstream(tenantId, groupId, upstreamId);
    await this.audit.record(p, tenantId, 'upstream.delete', u.id, { groupId, host: u.host, port: u.port });
  }

  @Post(':groupId/test')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Connect to each upstream now: connect, EHLO, STARTTLS under its policy, and an optional canary RCPT' })
  async test(
    @Param('tenantId') tenantId: string,
    @Param('groupId') groupId: string,
    @ZodBody(TestUpstreamGroupBody) body: z.infer<typeof TestUpstreamGroupBody>,
    @CurrentPrincipal() p: Principal,
  ): Promise<UpstreamGroupTest> {
    const canary = body.canaryAddress !== undefined ? body.canaryAddress : (await this.continuity.load((await this.tenants.findTenantById(tenantId)).id)).canaryAddress;
    const result = await this.tester.test(tenantId, groupId, canary?.toLowerCase() ?? null);
    await this.audit.record(p, tenantId, 'upstream_group.test', groupId, { ok: result.ok, canaryAddress: result.canaryAddress, results: result.results.map((r) => ({ host: r.host, port: r.port, ok: r.ok, stage: r.stage })) });
    return result;
  }
}

/**
 * Tenants name upstreams on the public internet only (see upstreamHostProblem;
 * the addresses a name resolves to are checked at each connection). An
 * operator may set up a private address for a tenant connected by VPN, which
 * approves private addresses for that upstream (privateAddressAllowed).
 */
function assertHostAllowed(p: Principal, host: string): void {
  if (p.role === 'operator') return;
  const problem = upstreamHostProblem(host);
  if (problem) throw new HttpError(400, 'upstream_host_not_public', `host: ${problem}; upstreams must be reachable from the internet (your provider can set up a private address for a VPN-connected server)`, { field: 'host' });
}
