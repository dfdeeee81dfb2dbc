import { Inject, Injectable } from '@nestjs/common';
import { randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { TenantScope } from '@app/database/tenant-scope';
import { SmsTemplates, Tenant, TenantLanguage, UnknownRecipientPolicy } from './tenant.entity';
import { TenantDomain } from './tenant-domain.entity';
import { UpstreamGroup } from './upstream-group.entity';
import { Upstream, UpstreamTlsPolicy } from './upstream.entity';
import { hasVerificationRecord, normalizeDomainName, TXT_LOOKUP, TxtLookup, verificationRecordValue } from './domain-verification';
import { TenantsErrors } from './tenants.errors';
import { ExistingDomainClaim, judgeDomainClaim } from './domain-claims';
import { upstreamHostProblem } from './upstream-host-policy';

export interface CreateTenantInput {
  name: string;
  /** Derived from the name when absent. */
  slug?: string;
  unknownRecipientPolicy?: UnknownRecipientPolicy;
  deliveryLifetimeSeconds?: number;
  rollingWindowDays?: number;
}

export interface AddUpstreamInput {
  /** Upstream group name; every tenant starts with `default`. */
  group?: string;
  host: string;
  port?: number;
  priority?: number;
  tlsPolicy?: UpstreamTlsPolicy;
  pinnedCertPem?: string;
}

/** Another tenant's unverified domain claim that adding the domain released (it was older than UNVERIFIED_DOMAIN_CLAIM_DAYS). */
export interface ReleasedDomainClaim {
  tenantId: string;
  domainId: string;
  name: string;
  claimedAt: Date;
  /** That tenant's directory entries in the domain, deleted with the claim. */
  mailboxes: number;
  aliases: number;
  groups: number;
}

export interface AddedDomain {
  domain: TenantDomain;
  record: VerificationRecord;
  releasedClaim: ReleasedDomainClaim | null;
}

/** What the customer publishes so that `domain verify` succeeds. */
export interface VerificationRecord {
  name: string;
  type: 'TXT';
  value: string;
}

export interface TenantOverview {
  tenant: Tenant;
  domains: TenantDomain[];
  upstreamGroups: Array<UpstreamGroup & { upstreams: Upstream[] }>;
}

/** What an operator may change about a tenant itself (settings an admin edits are in TenantSettingsPatch). */
export interface TenantPatch {
  name?: string;
  deliveryLifetimeSeconds?: number;
}

/** Tenant-level settings a tenant admin edits; undefined leaves a value, null clears a nullable one. Validated by the caller. */
export interface TenantSettingsPatch {
  rollingWindowDays?: number;
  unknownRecipientPolicy?: UnknownRecipientPolicy;
  rejectOnDmarcFail?: boolean;
  language?: TenantLanguage;
  webmailBrandName?: string | null;
  webmailLogoDataUrl?: string | null;
  webmailPrimaryColor?: string | null;
  webmailPracticeSignin?: boolean;
  smsSender?: string | null;
  smsTemplates?: SmsTemplates;
  smsCapPerHour?: number | null;
}

/**
 * Who sets an upstream's host. An operator who sets a host that is not on the
 * public internet (a VPN-connected server) thereby approves private addresses
 * for it; anyone else's upstream is only ever connected to public addresses.
 */
export interface UpstreamWriter {
  byOperator?: boolean;
}

/** Approval follows the host: given when an operator sets a non-public host, withdrawn whenever the host changes otherwise. */
function privateAddressAllowed(host: string, writer: UpstreamWriter): boolean {
  return !!writer.byOperator && upstreamHostProblem(host) !== null;
}

export type UpstreamPatch = Partial<Pick<AddUpstreamInput, 'host' | 'port' | 'priority' | 'tlsPolicy'>> & { pinnedCertPem?: string | null };

export const DEFAULT_UPSTREAM_GROUP = 'default';
/** Same bounds as the tenants table's CHECK constraints, so the operator hears why, not a constraint name. */
export const DELIVERY_LIFETIME_RANGE = { min: 60, max: 30 * 86400 } as const;
export const ROLLING_WINDOW_RANGE = { min: 1, max: 3650 } as const;
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const SETTINGS_COLUMNS: Record<keyof TenantSettingsPatch, string> = {
  rollingWindowDays: 'rolling_window_days',
  unknownRecipientPolicy: 'unknown_recipient_policy',
  rejectOnDmarcFail: 'reject_on_dmarc_fail',
  language: 'language',
  webmailBrandName: 'webmail_brand_name',
  webmailLogoDataUrl: 'webmail_logo_data_url',
  webmailPrimaryColor: 'webmail_primary_color',
  webmailPracticeSignin: 'webmail_practice_signin',
  smsSender: 'sms_sender',
  smsTemplates: 'sms_templates',
  smsCapPerHour: 'sms_cap_per_hour',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `Demo Corp GmbH & Co.` → `demo-corp-gmbh-co`. */
export function slugFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/** Validated tenant settings, or the first reason they cannot be stored. */
export function checkTenantInput(input: CreateTenantInput): { name: string; slug: string; unknownRecipientPolicy: UnknownRecipientPolicy; deliveryLifetimeSeconds: number; rollingWindowDays: number } {
  const name = input.name?.trim();
  if (!name) throw TenantsErrors.invalidTenant('a tenant needs a name');
  if (name.length > 200) throw TenantsErrors.invalidTenant('the name is longer than 200 characters');
  const slug = input.slug?.trim() || slugFromName(name);
  if (!SLUG.test(slug)) throw TenantsErrors.invalidTenant(`slug "${slug}" must be 1–63 lower-case letters, digits and inner hyphens`);
  const unknownRecipientPolicy = input.unknownRecipientPolicy ?? 'reject';
  if (unknownRecipientPolicy !== 'reject' && unknownRecipientPolicy !== 'passthrough') {
    throw TenantsErrors.invalidTenant(`unknown-recipient policy must be "reject" or "passthrough", not "${String(unknownRecipientPolicy)}"`);
  }
  const deliveryLifetimeSeconds = input.deliveryLifetimeSeconds ?? 5 * 86400;
  if (!Number.isInteger(deliveryLifetimeSeconds) || deliveryLifetimeSeconds < DELIVERY_LIFETIME_RANGE.min || deliveryLifetimeSeconds > DELIVERY_LIFETIME_RANGE.max) {
    throw TenantsErrors.invalidTenant(`delivery lifetime must be between ${DELIVERY_LIFETIME_RANGE.min} s and ${DELIVERY_LIFETIME_RANGE.max} s (30 days)`);
  }
  const rollingWindowDays = input.rollingWindowDays ?? 30;
  if (!Number.isInteger(rollingWindowDays) || rollingWindowDays < ROLLING_WINDOW_RANGE.min || rollingWindowDays > ROLLING_WINDOW_RANGE.max) {
    throw TenantsErrors.invalidTenant(`rolling window must be between ${ROLLING_WINDOW_RANGE.min} and ${ROLLING_WINDOW_RANGE.max} days`);
  }
  return { name, slug, unknownRecipientPolicy, deliveryLifetimeSeconds, rollingWindowDays };
}

/** Validated upstream settings, or the first reason they cannot be stored. */
export function checkUpstreamInput(input: AddUpstreamInput): Required<Omit<AddUpstreamInput, 'pinnedCertPem'>> & { pinnedCertPem: string | null } {
  const host = input.host?.trim().toLowerCase().replace(/\.$/, '') ?? '';
  if (!host) throw TenantsErrors.invalidUpstream('an upstream needs a host');
  if (!isIP(host)) {
    const d = normalizeDomainName(host);
    // A single-label host (an internal server name) is legitimate for an upstream.
    if (!d.ok && !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(host)) throw TenantsErrors.invalidUpstream(`"${input.host}" is neither an IP address nor a host name`);
  }
  const port = input.port ?? 25;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw TenantsErrors.invalidUpstream(`port must be 1–65535, not ${String(input.port)}`);
  const priority = input.priority ?? 10;
  if (!Number.isInteger(priority) || priority < 0 || priority > 1000) throw TenantsErrors.invalidUpstream('priority must be an integer 0–1000 (lower is tried first)');
  const tlsPolicy = input.tlsPolicy ?? 'verify';
  if (!['verify', 'pinned', 'none'].includes(tlsPolicy)) throw TenantsErrors.invalidUpstream(`TLS policy must be verify, pinned or none, not "${tlsPolicy}"`);
  let pinnedCertPem: string | null = null;
  if (tlsPolicy === 'pinned') {
    if (!input.pinnedCertPem?.trim()) throw TenantsErrors.invalidUpstream('TLS policy "pinned" needs the server certificate in PEM form');
    try {
      new X509Certificate(input.pinnedCertPem);
    } catch {
      throw TenantsErrors.invalidUpstream('the pinned certificate is not a PEM-encoded X.509 certificate');
    }
    pinnedCertPem = input.pinnedCertPem.trim() + '\n';
  } else if (input.pinnedCertPem) {
    throw TenantsErrors.invalidUpstream(`a pinned certificate only makes sense with TLS policy "pinned", not "${tlsPolicy}"`);
  }
  return { group: input.group?.trim() || DEFAULT_UPSTREAM_GROUP, host, port, priority, tlsPolicy, pinnedCertPem };
}

/** The postgres driver answers a DELETE … RETURNING with [rows, count]. */
function rowsOf(res: unknown): unknown[] {
  return (Array.isArray(res) && Array.isArray(res[0]) ? res[0] : res) as unknown[];
}

function isUniqueViolation(e: unknown): boolean {
  return e instanceof QueryFailedError && (e as QueryFailedError & { driverError?: { code?: string } }).driverError?.code === '23505';
}

/**
 * Tenants and what the mail path needs to know about them: their domains
 * (proved by DNS or vouched for by an operator) and the Exchange servers
 * their inbound mail goes to.
 */
@Injectable()
export class TenantsService {
  constructor(
    private readonly ds: DataSource,
    @Inject(TXT_LOOKUP) private readonly dns: TxtLookup,
  ) {}

  /** Creates the tenant with its `default` upstream group. */
  async createTenant(input: CreateTenantInput): Promise<Tenant> {
    const v = checkTenantInput(input);
    try {
      return await this.ds.transaction(async (em) => {
        const tenant = await em.save(em.create(Tenant, v));
        await new TenantScope(tenant.id, em).insert(UpstreamGroup, { name: DEFAULT_UPSTREAM_GROUP });
        return tenant;
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw TenantsErrors.slugTaken(v.slug);
      throw e;
    }
  }

  /** By slug or id. */
  async findTenant(ref: string, em: EntityManager = this.ds.manager): Promise<Tenant> {
    const tenant = UUID.test(ref) ? await em.findOne(Tenant, { where: [{ id: ref }, { slug: ref }] }) : await em.findOne(Tenant, { where: { slug: ref } });
    if (!tenant) throw TenantsErrors.tenantNotFound(ref);
    return tenant;
  }

  async findTenantBySlug(slug: string): Promise<Tenant | null> {
    return this.ds.manager.findOne(Tenant, { where: { slug } });
  }

  async listTenants(): Promise<Tenant[]> {
    return this.ds.manager.find(Tenant, { order: { slug: 'ASC' } });
  }

  async overview(tenantRef: string): Promise<TenantOverview> {
    const tenant = await this.findTenant(tenantRef);
    const scope = new TenantScope(tenant.id, this.ds.manager);
    const [domains, groups, upstreams] = await Promise.all([scope.find(TenantDomain), scope.find(UpstreamGroup), scope.find(Upstream)]);
    domains.sort((a, b) => a.name.localeCompare(b.name));
    upstreams.sort((a, b) => a.priority - b.priority || a.host.localeCompare(b.host));
    return {
      tenant,
      domains,
      upstreamGroups: groups.sort((a, b) => a.name.localeCompare(b.name)).map((g) => ({ ...g, upstreams: upstreams.filter((u) => u.groupId === g.id) })),
    };
  }

  /** The tenant's domains, verified or not, in canonical form. */
  async domainsOf(tenantId: string, em: EntityManager = this.ds.manager): Promise<TenantDomain[]> {
    return new TenantScope(tenantId, em).find(TenantDomain);
  }

  /**
   * Registers a domain, not yet verified, and returns the TXT record the
   * customer publishes to prove they control it. The one way a domain claim
   * is made (admin API, CLI, demo seed). A domain another tenant has verified
   * is refused; so is one another tenant added less than
   * UNVERIFIED_DOMAIN_CLAIM_DAYS ago without verifying it (the answer says
   * from when it can be added). An older unverified claim is released in the
   * same transaction — with the other tenant's mailboxes, aliases and groups
   * in that domain, which could never receive mail and would keep the
   * addresses from the new owner — and returned so that the caller can audit
   * it.
   */
  async addDomain(tenantRef: string, domainName: string): Promise<AddedDomain> {
    const tenant = await this.findTenant(tenantRef);
    const checked = normalizeDomainName(domainName);
    if (!checked.ok) throw TenantsErrors.invalidDomain(domainName, checked.reason);
    const name = checked.name;
    try {
      return await this.ds.transaction(async (em) => {
        // Locks the existing claim: two tenants adding the same stale domain cannot both release it.
        const rows: Array<ExistingDomainClaim & { id: string; now: Date }> = await em.query(
          `SELECT id, tenant_id AS "tenantId", verified_at IS NOT NULL AS verified, created_at AS "createdAt", now() AS now
             FROM tenant_domains WHERE name = $1 FOR UPDATE`,
          [name],
        );
        let releasedClaim: ReleasedDomainClaim | null = null;
        const existing = rows[0];
        if (existing) {
          const outcome = judgeDomainClaim(existing, tenant.id, existing.now);
          if (outcome.kind === 'own') throw TenantsErrors.domainAlreadyAdded(name);
          if (outcome.kind === 'verified') throw TenantsErrors.domainTaken(name);
          if (outcome.kind === 'pending') throw TenantsErrors.domainAwaitingVerification(name, outcome.claimableFrom);
          releasedClaim = await this.releaseStaleClaim(em, existing, name);
        }
        const domain = await new TenantScope(tenant.id, em).insert(TenantDomain, {
          name,
          verificationToken: randomBytes(16).toString('hex'),
          verifiedAt: null,
          verifiedBy: null,
        });
        return { domain, record: this.recordFor(domain), releasedClaim };
      });
    } catch (e) {
      // Another tenant added the name between our look and our insert.
      if (isUniqueViolation(e)) throw TenantsErrors.domainTaken(name);
      throw e;
    }
  }

  /**
   * Deletes another tenant's unverified claim that is past its time, and that
   * tenant's directory entries in the domain. They live in libs/mailboxes'
   * tables, written here because the release must be one transaction with the
   * new claim (and libs/mailboxes depends on this library, not the reverse).
   */
  private async releaseStaleClaim(em: EntityManager, claim: ExistingDomainClaim & { id: string }, name: string): Promise<ReleasedDomainClaim> {
    const inDomain = `right(address, char_length($2) + 1) = '@' || $2`;
    const count = async (table: string) => rowsOf(await em.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND ${inDomain} RETURNING id`, [claim.tenantId, name])).length;
    const aliases = await count('aliases');
    const groups = await count('distribution_groups');
    const mailboxes = await count('mailboxes');
    await em.query(`DELETE FROM tenant_domains WHERE id = $1 AND tenant_id = $2`, [claim.id, claim.tenantId]);
    return { tenantId: claim.tenantId, domainId: claim.id, name, claimedAt: claim.createdAt, mailboxes, aliases, groups };
  }

  recordFor(domain: TenantDomain): VerificationRecord {
    return { name: domain.name, type: 'TXT', value: verificationRecordValue(domain.verificationToken) };
  }

  async findDomain(tenantRef: string, domainName: string): Promise<{ tenant: Tenant; domain: TenantDomain }> {
    const tenant = await this.findTenant(tenantRef);
    const checked = normalizeDomainName(domainName);
    if (!checked.ok) throw TenantsErrors.invalidDomain(domainName, checked.reason);
    const domain = await new TenantScope(tenant.id, this.ds.manager).findOne(TenantDomain, { name: checked.name });
    if (!domain) throw TenantsErrors.domainNotFound(checked.name);
    return { tenant, domain };
  }

  /** Looks for `continuity-verification=<token>` in the domain's TXT records and marks it verified when present. */
  async verifyDomain(tenantRef: string, domainName: string): Promise<TenantDomain> {
    const { tenant, domain } = await this.findDomain(tenantRef, domainName);
    if (domain.verifiedAt) return domain;
    let records: string[][];
    try {
      records = await this.dns.resolveTxt(domain.name);
    } catch (e) {
      throw TenantsErrors.dnsLookupFailed(domain.name, (e as NodeJS.ErrnoException).code ?? String(e));
    }
    if (!hasVerificationRecord(records, domain.verificationToken)) {
      throw TenantsErrors.verificationRecordMissing(domain.name, verificationRecordValue(domain.verificationToken), records.length);
    }
    return this.setVerified(tenant.id, domain, 'dns');
  }

  /** For domains an operator has checked by other means (and for laboratories and the demo). */
  async markDomainVerified(tenantRef: string, domainName: string): Promise<TenantDomain> {
    const { tenant, domain } = await this.findDomain(tenantRef, domainName);
    if (domain.verifiedAt) return domain;
    return this.setVerified(tenant.id, domain, 'operator');
  }

  private async setVerified(tenantId: string, domain: TenantDomain, by: 'dns' | 'operator'): Promise<TenantDomain> {
    const verifiedAt = new Date();
    await this.ds.manager.update(TenantDomain, { id: domain.id, tenantId }, { verifiedAt, verifiedBy: by });
    return { ...domain, verifiedAt, verifiedBy: by };
  }

  async createUpstreamGroup(tenantRef: string, name: string): Promise<UpstreamGroup> {
    const tenant = await this.findTenant(tenantRef);
    const trimmed = name.trim();
    if (!GROUP_NAME.test(trimmed)) throw TenantsErrors.invalidUpstream(`group name "${name}" must be 1–63 letters, digits, dots, hyphens or underscores`);
    try {
      return await new TenantScope(tenant.id, this.ds.manager).insert(UpstreamGroup, { name: trimmed });
    } catch (e) {
      if (isUniqueViolation(e)) throw TenantsErrors.upstreamGroupTaken(trimmed);
      throw e;
    }
  }

  /** Adds one of the customer's Exchange servers to a group; lower priority is tried first. */
  async addUpstream(tenantRef: string, input: AddUpstreamInput, writer: UpstreamWriter = {}): Promise<Upstream> {
    const tenant = await this.findTenant(tenantRef);
    const v = checkUpstreamInput(input);
    const scope = new TenantScope(tenant.id, this.ds.manager);
    const group = await scope.findOne(UpstreamGroup, { name: v.group });
    if (!group) throw TenantsErrors.upstreamGroupNotFound(v.group);
    return scope.insert(Upstream, {
      groupId: group.id, host: v.host, port: v.port, priority: v.priority, tlsPolicy: v.tlsPolicy, pinnedCertPem: v.pinnedCertPem,
      privateAddressAllowed: privateAddressAllowed(v.host, writer),
    });
  }

  // ------------------------------------------------------------ by id, for the admin API (every child id scoped by its tenant)

  /** By id only (never by slug), for callers that were given an id. */
  async findTenantById(id: string, em: EntityManager = this.ds.manager): Promise<Tenant> {
    const tenant = UUID.test(id) ? await em.findOne(Tenant, { where: { id } }) : null;
    if (!tenant) throw TenantsErrors.tenantNotFound(id);
    return tenant;
  }

  async updateTenant(tenantId: string, patch: TenantPatch): Promise<Tenant> {
    const tenant = await this.findTenantById(tenantId);
    const v = checkTenantInput({
      name: patch.name ?? tenant.name,
      slug: tenant.slug,
      unknownRecipientPolicy: tenant.unknownRecipientPolicy,
      deliveryLifetimeSeconds: patch.deliveryLifetimeSeconds ?? tenant.deliveryLifetimeSeconds,
      rollingWindowDays: tenant.rollingWindowDays,
    });
    await this.ds.manager.update(Tenant, { id: tenant.id }, { name: v.name, deliveryLifetimeSeconds: v.deliveryLifetimeSeconds });
    return this.findTenantById(tenant.id);
  }

  /**
   * Deletes a tenant and everything it owns (the schema cascades). Refused
   * while it is not in normal mode: held mail and a running event must be
   * finished first. Message blobs are left to the blob store's orphan sweep.
   */
  async deleteTenant(tenantId: string): Promise<Tenant> {
    const tenant = await this.findTenantById(tenantId);
    const res: unknown[] = await this.ds.query(`DELETE FROM tenants WHERE id = $1 AND mode = 'normal' RETURNING id`, [tenant.id]);
    // The postgres driver answers a DELETE … RETURNING with [rows, count].
    const rows = Array.isArray(res[0]) ? (res[0] as unknown[]) : res;
    if (!rows.length) throw TenantsErrors.tenantBusy(tenant.slug, (await this.findTenantById(tenant.id)).mode);
    return tenant;
  }

  /** Settings a tenant admin edits; the caller has validated the values. */
  async updateTenantSettings(tenantId: string, patch: TenantSettingsPatch): Promise<Tenant> {
    const tenant = await this.findTenantById(tenantId);
    const sets: string[] = [];
    const values: unknown[] = [tenant.id];
    for (const [key, column] of Object.entries(SETTINGS_COLUMNS) as Array<[keyof TenantSettingsPatch, string]>) {
      const v = patch[key];
      if (v === undefined) continue;
      values.push(key === 'smsTemplates' ? JSON.stringify(v) : v);
      sets.push(`${column} = $${values.length}${key === 'smsTemplates' ? '::jsonb' : ''}`);
    }
    if (patch.rollingWindowDays !== undefined) checkTenantInput({ name: tenant.name, slug: tenant.slug, rollingWindowDays: patch.rollingWindowDays });
    if (sets.length) await this.ds.query(`UPDATE tenants SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, values);
    return this.findTenantById(tenant.id);
  }

  async findDomainById(tenantId: string, domainId: string): Promise<TenantDomain> {
    const domain = UUID.test(domainId) ? await new TenantScope(tenantId, this.ds.manager).findOne(TenantDomain, { id: domainId }) : null;
    if (!domain) throw TenantsErrors.domainNotFound(domainId);
    return domain;
  }

  /** Removes a domain: mail for it is refused from then on; mailboxes in it stay until removed. */
  async deleteDomain(tenantId: string, domainId: string): Promise<TenantDomain> {
    const domain = await this.findDomainById(tenantId, domainId);
    await this.ds.query(`DELETE FROM tenant_domains WHERE tenant_id = $1 AND id = $2`, [tenantId, domain.id]);
    return domain;
  }

  async upstreamGroupsOf(tenantId: string): Promise<Array<UpstreamGroup & { upstreams: Upstream[] }>> {
    const scope = new TenantScope(tenantId, this.ds.manager);
    const [groups, upstreams] = await Promise.all([scope.find(UpstreamGroup), scope.find(Upstream)]);
    upstreams.sort((a, b) => a.priority - b.priority || a.host.localeCompare(b.host));
    return groups.sort((a, b) => a.name.localeCompare(b.name)).map((g) => ({ ...g, upstreams: upstreams.filter((u) => u.groupId === g.id) }));
  }

  async findUpstreamGroupById(tenantId: string, groupId: string): Promise<UpstreamGroup & { upstreams: Upstream[] }> {
    const scope = new TenantScope(tenantId, this.ds.manager);
    const group = UUID.test(groupId) ? await scope.findOne(UpstreamGroup, { id: groupId }) : null;
    if (!group) throw TenantsErrors.upstreamGroupNotFound(groupId);
    const upstreams = (await scope.find(Upstream, { groupId: group.id })).sort((a, b) => a.priority - b.priority || a.host.localeCompare(b.host));
    return { ...group, upstreams };
  }

  async renameUpstreamGroup(tenantId: string, groupId: string, name: string): Promise<UpstreamGroup & { upstreams: Upstream[] }> {
    const group = await this.findUpstreamGroupById(tenantId, groupId);
    const trimmed = name.trim();
    if (!GROUP_NAME.test(trimmed)) throw TenantsErrors.invalidUpstream(`group name "${name}" must be 1–63 letters, digits, dots, hyphens or underscores`);
    try {
      await this.ds.manager.update(UpstreamGroup, { id: group.id, tenantId }, { name: trimmed });
    } catch (e) {
      if (isUniqueViolation(e)) throw TenantsErrors.upstreamGroupTaken(trimmed);
      throw e;
    }
    return this.findUpstreamGroupById(tenantId, group.id);
  }

  /** Deletes a group with its upstreams. */
  async deleteUpstreamGroup(tenantId: string, groupId: string): Promise<UpstreamGroup> {
    const group = await this.findUpstreamGroupById(tenantId, groupId);
    await this.ds.query(`DELETE FROM upstream_groups WHERE tenant_id = $1 AND id = $2`, [tenantId, group.id]);
    return group;
  }

  async findUpstreamById(tenantId: string, groupId: string, upstreamId: string): Promise<Upstream> {
    const upstream = UUID.test(upstreamId) && UUID.test(groupId) ? await new TenantScope(tenantId, this.ds.manager).findOne(Upstream, { id: upstreamId, groupId }) : null;
    if (!upstream) throw TenantsErrors.upstreamNotFound(upstreamId);
    return upstream;
  }

  async addUpstreamToGroup(tenantId: string, groupId: string, input: Omit<AddUpstreamInput, 'group'>, writer: UpstreamWriter = {}): Promise<Upstream> {
    const group = await this.findUpstreamGroupById(tenantId, groupId);
    return this.addUpstream(tenantId, { ...input, group: group.name }, writer);
  }

  /** Changes an upstream; the fields given replace the stored ones and the result is checked as a whole. */
  async updateUpstream(tenantId: string, groupId: string, upstreamId: string, patch: UpstreamPatch, writer: UpstreamWriter = {}): Promise<Upstream> {
    const u = await this.findUpstreamById(tenantId, groupId, upstreamId);
    const tlsPolicy = patch.tlsPolicy ?? u.tlsPolicy;
    // Leaving "pinned" drops the pinned certificate unless one is given.
    const pinned = patch.pinnedCertPem !== undefined ? patch.pinnedCertPem : tlsPolicy === 'pinned' ? u.pinnedCertPem : null;
    const v = checkUpstreamInput({ host: patch.host ?? u.host, port: patch.port ?? u.port, priority: patch.priority ?? u.priority, tlsPolicy, pinnedCertPem: pinned ?? undefined });
    // A host given again is judged again, by whoever gives it; other changes keep the approval as it was.
    const approval = patch.host !== undefined ? privateAddressAllowed(v.host, writer) : u.privateAddressAllowed;
    await this.ds.manager.update(Upstream, { id: u.id, tenantId }, { host: v.host, port: v.port, priority: v.priority, tlsPolicy: v.tlsPolicy, pinnedCertPem: v.pinnedCertPem, privateAddressAllowed: approval });
    return this.findUpstreamById(tenantId, groupId, u.id);
  }

  async deleteUpstream(tenantId: string, groupId: string, upstreamId: string): Promise<Upstream> {
    const u = await this.findUpstreamById(tenantId, groupId, upstreamId);
    await this.ds.query(`DELETE FROM upstreams WHERE tenant_id = $1 AND id = $2`, [tenantId, u.id]);
    return u;
  }
}
