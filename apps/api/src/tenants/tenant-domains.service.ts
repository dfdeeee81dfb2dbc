import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import type { DkimAlgorithm } from '@app/dkim/dkim-keys';
import { DkimKeysService, DkimKeyView } from '@app/dkim/dkim-keys.service';
import { LOGGER, Logger } from '@app/observability';
import { ReleasedDomainClaim, TenantDomain, TenantsService } from '@app/tenants';
import { Answer, checkRecord, DnsRecordCheck, DnsRecordToPublish, recordsToPublish, ServiceNames, spfIncludeOf } from './domain-records';
import { DOMAIN_DNS_LOOKUP, DomainDnsLookup } from './domain-dns.port';

export interface DkimKeySummary {
  id: string;
  selector: string;
  algorithm: DkimAlgorithm;
  bits: number | null;
  state: string;
  createdAt: Date;
  activatedAt: Date | null;
  retiringSince: Date | null;
}

export interface DomainView {
  id: string;
  name: string;
  verified: boolean;
  verifiedAt: Date | null;
  verifiedBy: 'dns' | 'operator' | null;
  signOutbound: boolean;
  createdAt: Date;
  records: DnsRecordToPublish[];
  dkimKeys: DkimKeySummary[];
}

export interface DnsCheckView {
  domainId: string;
  name: string;
  checkedAt: Date;
  /** Every record is published as it should be. */
  ok: boolean;
  records: DnsRecordCheck[];
}

/**
 * A tenant's domains as the admin API shows them: with the records to
 * publish (ownership, MX, SPF, DKIM) and a live check of what DNS says.
 */
@Injectable()
export class TenantDomainsService {
  private readonly names: ServiceNames;

  constructor(
    private readonly tenants: TenantsService,
    private readonly dkim: DkimKeysService,
    @Inject(DOMAIN_DNS_LOOKUP) private readonly dns: DomainDnsLookup,
    @Inject(APP_CONFIG) cfg: Pick<AppConfig, 'MX_HOSTNAME' | 'SPF_INCLUDE_DOMAIN'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.names = { mxHostname: cfg.MX_HOSTNAME, spfInclude: spfIncludeOf(cfg) };
  }

  async list(tenantId: string): Promise<DomainView[]> {
    await this.tenants.findTenantById(tenantId);
    const domains = (await this.tenants.domainsOf(tenantId)).sort((a, b) => a.name.localeCompare(b.name));
    return Promise.all(domains.map((d) => this.view(tenantId, d)));
  }

  async get(tenantId: string, domainId: string): Promise<DomainView> {
    return this.view(tenantId, await this.tenants.findDomainById(tenantId, domainId));
  }

  /** Adds a domain; `releasedClaim` is another tenant's stale unverified claim that this released (the caller audits it). */
  async add(tenantId: string, name: string): Promise<{ domain: DomainView; releasedClaim: ReleasedDomainClaim | null }> {
    const { domain, releasedClaim } = await this.tenants.addDomain((await this.tenants.findTenantById(tenantId)).id, name);
    if (releasedClaim) {
      // An unverified domain cannot get DKIM keys; removed anyway, so no key of the former claimant can ever sign for it.
      await this.dkim.removeKeysOf(releasedClaim.tenantId, releasedClaim.name);
      this.logger.warn(
        { tenantId, domainId: domain.id, domain: domain.name, releasedTenantId: releasedClaim.tenantId, releasedDomainId: releasedClaim.domainId, claimedAt: releasedClaim.claimedAt, mailboxes: releasedClaim.mailboxes, aliases: releasedClaim.aliases, groups: releasedClaim.groups },
        'released another tenant\'s unverified domain claim past its time to verify',
      );
    }
    return { domain: await this.view(tenantId, domain), releasedClaim };
  }

  async remove(tenantId: string, domainId: string): Promise<TenantDomain> {
    const domain = await this.tenants.deleteDomain(tenantId, domainId);
    await this.dkim.removeKeysOf(tenantId, domain.name);
    return domain;
  }

  /**
   * Looks for the ownership record now; when the domain is (or becomes)
   * verified, pending DKIM keys whose records are published become active.
   */
  async verify(tenantId: string, domainId: string): Promise<DomainView> {
    const domain = await this.tenants.findDomainById(tenantId, domainId);
    const verified = await this.tenants.verifyDomain(tenantId, domain.name);
    if ((await this.tenantKeys(tenantId, domain.name)).some((k) => k.state === 'pending' || k.state === 'retiring')) {
      // The worker's rotation check runs anyway; a DNS hiccup here must not turn a successful verification into an error.
      await this.dkim.check(domain.name).catch(() => undefined);
    }
    return this.view(tenantId, verified);
  }

  async markVerified(tenantId: string, domainId: string): Promise<DomainView> {
    const domain = await this.tenants.findDomainById(tenantId, domainId);
    return this.view(tenantId, await this.tenants.markDomainVerified(tenantId, domain.name));
  }

  async setSignOutbound(tenantId: string, domainId: string, on: boolean): Promise<DomainView> {
    const domain = await this.tenants.findDomainById(tenantId, domainId);
    await this.dkim.setSignOutbound(domain.name, on);
    return this.view(tenantId, domain);
  }

  /** The domain's first key of that algorithm, or a successor when one is active (a rotation). */
  async createDkimKey(tenantId: string, domainId: string, algorithm: DkimAlgorithm): Promise<{ domain: DomainView; key: DkimKeySummary }> {
    const domain = await this.tenants.findDomainById(tenantId, domainId);
    const keys = await this.tenantKeys(tenantId, domain.name);
    const made = keys.some((k) => k.algorithm === algorithm && k.state === 'active')
      ? (await this.dkim.rotate(domain.name, algorithm))[0]
      : await this.dkim.createKey({ domain: domain.name, algorithm });
    return { domain: await this.view(tenantId, domain), key: summary(made) };
  }

  /** What DNS says now about each record, through the service's resolvers. */
  async dnsCheck(tenantId: string, domainId: string): Promise<DnsCheckView> {
    const domain = await this.tenants.findDomainById(tenantId, domainId);
    const records = recordsToPublish(domain, this.names, await this.tenantKeys(tenantId, domain.name));
    const txtNames = [...new Set(records.filter((r) => r.type === 'TXT').map((r) => r.name))];
    const [txtAnswers, mx] = await Promise.all([Promise.all(txtNames.map((n) => this.dns.txt(n))), this.dns.mx(domain.name)]);
    const txt = new Map<string, Answer<string[]>>(txtNames.map((n, i) => [n, txtAnswers[i]]));
    const none: Answer<string[]> = { ok: true, records: [] };
    const checked = records.map((r) => checkRecord(r, txt.get(r.name) ?? none, mx));
    return { domainId: domain.id, name: domain.name, checkedAt: new Date(), ok: checked.every((c) => c.status === 'ok'), records: checked };
  }

  private async tenantKeys(tenantId: string, domainName: string): Promise<DkimKeyView[]> {
    return (await this.dkim.keys(domainName)).filter((k) => k.tenantId === tenantId);
  }

  private async view(tenantId: string, d: TenantDomain): Promise<DomainView> {
    const [keys, signOutbound] = await Promise.all([this.tenantKeys(tenantId, d.name), this.dkim.signsOutbound(tenantId, d.name)]);
    return {
      id: d.id,
      name: d.name,
      verified: !!d.verifiedAt,
      verifiedAt: d.verifiedAt,
      verifiedBy: d.verifiedBy,
      signOutbound,
      createdAt: d.createdAt,
      records: recordsToPublish(d, this.names, keys),
      dkimKeys: keys.map(summary),
    };
  }
}

function summary(k: DkimKeyView): DkimKeySummary {
  return { id: k.id, selector: k.selector, algorithm: k.algorithm, bits: k.bits, state: k.state, createdAt: k.createdAt, activatedAt: k.activatedAt, retiringSince: k.retiringSince };
}
