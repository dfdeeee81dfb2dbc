import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodBody } from '@app/http';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { AdminAuditService } from '../auth/admin-audit.service';
import { UNVERIFIED_DOMAIN_CLAIM_DAYS } from '@app/tenants';
import { AddDomainBody, CreateDkimKeyBody, UpdateDomainBody } from './tenant-resources.schemas';
import { DnsCheckView, DomainView, TenantDomainsService } from './tenant-domains.service';

/** Who releases an unverified claim past its time: the service's rule, not a person. */
const RELEASE_ACTOR = { kind: 'anonymous' as const, id: null, name: 'service: unverified domain claim expired' };

/** A tenant's mail domains, the DNS records to publish for each, and a live check of them. */
@ApiTags('domains')
@Controller('api/tenants/:tenantId/domains')
export class TenantDomainsController {
  constructor(private readonly domains: TenantDomainsService, private readonly audit: AdminAuditService) {}

  @Get()
  @ApiOperation({ summary: "The tenant's domains with the records to publish" })
  async list(@Param('tenantId') tenantId: string): Promise<{ domains: DomainView[] }> {
    return { domains: await this.domains.list(tenantId) };
  }

  @Post()
  @Roles('admin')
  @ApiOperation({
    summary: 'Add a domain (unverified until its ownership record is seen)',
    description: `409 domain_taken when another customer has verified it, or added it less than ${UNVERIFIED_DOMAIN_CLAIM_DAYS} days ago without verifying it (details.claimableFrom says when it can be added); an older unverified claim of another customer is released.`,
  })
  async add(@Param('tenantId') tenantId: string, @ZodBody(AddDomainBody) body: { name: string }, @CurrentPrincipal() p: Principal): Promise<DomainView> {
    const { domain: d, releasedClaim } = await this.domains.add(tenantId, body.name);
    if (releasedClaim) {
      // In the former claimant's own log, by the service rather than by this tenant's admin: neither tenant learns who the other is.
      await this.audit.recordAs(RELEASE_ACTOR, releasedClaim.tenantId, 'domain.claim_expired', releasedClaim.domainId, {
        name: releasedClaim.name,
        claimedAt: releasedClaim.claimedAt.toISOString(),
        unverifiedForDays: UNVERIFIED_DOMAIN_CLAIM_DAYS,
        deletedMailboxes: releasedClaim.mailboxes,
        deletedAliases: releasedClaim.aliases,
        deletedGroups: releasedClaim.groups,
      });
    }
    await this.audit.record(p, tenantId, 'domain.create', d.id, releasedClaim ? { name: d.name, releasedExpiredClaim: true } : { name: d.name });
    return d;
  }

  @Get(':domainId')
  @ApiOperation({ summary: 'One domain with the records to publish' })
  get(@Param('tenantId') tenantId: string, @Param('domainId') domainId: string): Promise<DomainView> {
    return this.domains.get(tenantId, domainId);
  }

  @Patch(':domainId')
  @Roles('admin')
  @ApiOperation({ summary: "Whether the tenant's outbound mail from this domain is DKIM-signed" })
  async update(@Param('tenantId') tenantId: string, @Param('domainId') domainId: string, @ZodBody(UpdateDomainBody) body: { signOutbound: boolean }, @CurrentPrincipal() p: Principal): Promise<DomainView> {
    const d = await this.domains.setSignOutbound(tenantId, domainId, body.signOutbound);
    await this.audit.record(p, tenantId, 'domain.update', d.id, { name: d.name, signOutbound: body.signOutbound });
    return d;
  }

  @Delete(':domainId')
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a domain (mail for it is refused from then on) and its DKIM keys' })
  async remove(@Param('tenantId') tenantId: string, @Param('domainId') domainId: string, @CurrentPrincipal() p: Principal): Promise<void> {
    const d = await this.domains.remove(tenantId, domainId);
    await this.audit.record(p, tenantId, 'domain.delete', d.id, { name: d.name });
  }

  @Post(':domainId/verify')
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Look for the ownership TXT record now and mark the domain verified when it is there (422 when not)' })
  async verify(@Param('tenantId') tenantId: string, @Param('domainId') domainId: string, @CurrentPrincipal() p: Principal): Promise<DomainView> {
    const d = await this.domains.verify(tenantId, domainId);
    await this.audit.record(p, tenantId, 'domain.verify', d.id, { name: d.name, verifiedBy: d.verifiedBy });
    return d;
  }

  @Post(':domainId/mark-verified')
  @Roles('operator')
  @HttpCode(200)
  @ApiOperation({ summary: 'Operator: mark the domain verified without DNS (checked by other means)' })
  async markVerified(@Param('tenantId') tenantId: string, @Param('domainId') domainId: string, @CurrentPrincipal() p: Principal): Promise<DomainView> {
    const d = await this.domains.markVerified(tenantId, domainId);
    await this.audit.record(p, tenantId, 'domain.mark_verified', d.id, { name: d.name });
    return d;
  }

  @Post(':domainId/dkim')
  @Roles('admin')
  @ApiOperation({ summary: 'Make a DKIM key: the first of its algorithm, or a successor of the active one (rotation); it signs once its record is seen' })
  async createDkimKey(
    @Param('tenantId') tenantId: string,
    @Param('domainId') domainId: string,
    @ZodBody(CreateDkimKeyBody) body: z.infer<typeof CreateDkimKeyBody>,
    @CurrentPrincipal() p: Principal,
  ): Promise<DomainView> {
    const { domain, key } = await this.domains.createDkimKey(tenantId, domainId, body.algorithm);
    await this.audit.record(p, tenantId, 'domain.dkim_key', domain.id, { name: domain.name, selector: key.selector, algorithm: key.algorithm });
    return domain;
  }

  @Get(':domainId/dns-check')
  @ApiOperation({ summary: 'What DNS says now about each record: ok, missing, wrong (with what was found) or error' })
  dnsCheck(@Param('tenantId') tenantId: string, @Param('domainId') domainId: string): Promise<DnsCheckView> {
    return this.domains.dnsCheck(tenantId, domainId);
  }
}
