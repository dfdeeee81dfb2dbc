import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { TenantScope } from '@app/database/tenant-scope';
import { DirectoryError } from '@app/tenants/tenants.errors';
import { TenantsService } from '@app/tenants/tenants.service';
import { Mailbox, MailboxKind, MailboxStatus } from './mailbox.entity';
import { Alias } from './alias.entity';
import { DistributionGroup, GroupMember } from './distribution-group.entity';
import { checkMailboxRow, MailboxCsvRowError, MailboxRowValue, readMailboxCsv } from './mailbox-csv';
import { FieldCheck, normalizeAlternateEmail, normalizeDisplayName, normalizeMobile, normalizeTenantAddress } from './mailbox-fields';
import { MailboxesErrors } from './mailboxes.errors';

export interface MailboxInput {
  address: string;
  displayName?: string;
  mobile?: string | null;
  alternateEmail?: string | null;
  kind?: MailboxKind;
  /** The identity provider's id (SCIM externalId). */
  externalId?: string | null;
}
/** `address` renames the mailbox (a new address in the tenant's domains, not in use). */
export type MailboxPatch = Partial<MailboxInput> & { status?: MailboxStatus };

export interface ImportReport {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Sorted by row; capped at MAX_REPORTED_ROW_ERRORS, `errorCount` has the true total. */
  errors: MailboxCsvRowError[];
  errorCount: number;
  warnings: Array<{ row: number; message: string }>;
}
export const MAX_REPORTED_ROW_ERRORS = 1000;
/** Rows per import transaction: one commit (one fsync) per batch instead of per row. */
const IMPORT_BATCH_ROWS = 250;

type Outcome = 'created' | 'updated' | 'unchanged';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function unwrap<T>(check: FieldCheck<T>): T {
  if (!check.ok) throw MailboxesErrors.invalidField(check.code, check.reason);
  return check.value;
}

function isUniqueViolation(e: unknown): boolean {
  return e instanceof QueryFailedError && (e as QueryFailedError & { driverError?: { code?: string } }).driverError?.code === '23505';
}

/**
 * The tenant's directory: mailboxes (the standby mailbox of each employee or
 * shared mailbox), aliases and distribution groups. Every address lies in one
 * of the tenant's domains, and one address names at most one of them.
 */
@Injectable()
export class MailboxesService {
  constructor(
    private readonly ds: DataSource,
    private readonly tenants: TenantsService,
  ) {}

  async createMailbox(tenantRef: string, input: MailboxInput): Promise<Mailbox> {
    const tenant = await this.tenants.findTenant(tenantRef);
    return this.ds.transaction(async (em) => {
      const domains = await this.domainSet(tenant.id, em);
      const address = this.tenantAddress(input.address, domains);
      await this.assertAddressFree(tenant.id, address, em);
      return new TenantScope(tenant.id, em).insert(Mailbox, {
        address,
        displayName: unwrap(normalizeDisplayName(input.displayName)),
        mobileE164: unwrap(normalizeMobile(input.mobile)),
        alternateEmail: unwrap(normalizeAlternateEmail(input.alternateEmail, domains)),
        kind: input.kind ?? 'user',
        status: 'active',
        externalId: input.externalId ?? null,
      });
    }).catch((e) => this.translate(e, input.address));
  }

  /** Changes only the fields given; `null` or `''` clears mobile and alternate e-mail. */
  async updateMailbox(tenantRef: string, address: string, patch: MailboxPatch): Promise<Mailbox> {
    const tenant = await this.tenants.findTenant(tenantRef);
    return this.ds.transaction(async (em) => {
      const domains = await this.domainSet(tenant.id, em);
      const mailbox = await this.getMailbox(tenant.id, address, em);
      const changes: Partial<Mailbox> = {};
      if (patch.displayName !== undefined) changes.displayName = unwrap(normalizeDisplayName(patch.displayName));
      if (patch.mobile !== undefined) changes.mobileE164 = unwrap(normalizeMobile(patch.mobile));
      if (patch.alternateEmail !== undefined) changes.alternateEmail = unwrap(normalizeAlternateEmail(patch.alternateEmail, domains));
      if (patch.kind !== undefined) changes.kind = patch.kind;
      if (patch.status !== undefined) changes.status = patch.status;
      if (patch.externalId !== undefined) changes.externalId = patch.externalId;
      if (patch.address !== undefined) {
        const renamed = this.tenantAddress(patch.address, domains);
        if (renamed !== mailbox.address) {
          await this.assertAddressFree(tenant.id, renamed, em);
          changes.address = renamed;
        }
      }
      if (Object.keys(changes).length) await em.update(Mailbox, { id: mailbox.id, tenantId: tenant.id }, changes);
      return { ...mailbox, ...changes };
    }).catch((e) => this.translate(e, patch.address ?? address));
  }

  /** A disabled mailbox keeps its existing mirror; mail to it still goes to Exchange but is no longer mirrored. */
  disableMailbox(tenantRef: string, address: string): Promise<Mailbox> {
    return this.updateMailbox(tenantRef, address, { status: 'disabled' });
  }

  enableMailbox(tenantRef: string, address: string): Promise<Mailbox> {
    return this.updateMailbox(tenantRef, address, { status: 'active' });
  }

  async listMailboxes(tenantRef: string): Promise<Mailbox[]> {
    const tenant = await this.tenants.findTenant(tenantRef);
    const rows = await new TenantScope(tenant.id, this.ds.manager).find(Mailbox);
    return rows.sort((a, b) => a.address.localeCompare(b.address));
  }

  async findMailbox(tenantRef: string, address: string): Promise<Mailbox> {
    const tenant = await this.tenants.findTenant(tenantRef);
    return this.getMailbox(tenant.id, address, this.ds.manager);
  }

  async addAlias(tenantRef: string, aliasAddress: string, mailboxAddress: string): Promise<Alias> {
    const tenant = await this.tenants.findTenant(tenantRef);
    return this.ds.transaction(async (em) => {
      const domains = await this.domainSet(tenant.id, em);
      const address = this.tenantAddress(aliasAddress, domains);
      const mailbox = await this.getMailbox(tenant.id, mailboxAddress, em);
      await this.assertAddressFree(tenant.id, address, em);
      return new TenantScope(tenant.id, em).insert(Alias, { address, mailboxId: mailbox.id });
    }).catch((e) => this.translate(e, aliasAddress));
  }

  async listAliases(tenantRef: string): Promise<Alias[]> {
    const tenant = await this.tenants.findTenant(tenantRef);
    return new TenantScope(tenant.id, this.ds.manager).find(Alias);
  }

  /** `memberIds` are mailbox ids of this tenant; an unknown one fails the whole creation. */
  async createGroup(tenantRef: string, groupAddress: string, displayName = '', opts: { externalId?: string | null; memberIds?: string[] } = {}): Promise<DistributionGroup> {
    const tenant = await this.tenants.findTenant(tenantRef);
    return this.ds.transaction(async (em) => {
      const domains = await this.domainSet(tenant.id, em);
      const address = this.tenantAddress(groupAddress, domains);
      await this.assertAddressFree(tenant.id, address, em);
      const scope = new TenantScope(tenant.id, em);
      const group = await scope.insert(DistributionGroup, { address, displayName: unwrap(normalizeDisplayName(displayName)), externalId: opts.externalId ?? null });
      for (const id of new Set(opts.memberIds ?? [])) {
        const mailbox = UUID.test(id) ? await scope.findOne(Mailbox, { id }) : null;
        if (!mailbox) throw MailboxesErrors.memberNotFound(id);
        await this.addMember(tenant.id, group.id, mailbox.id, em);
      }
      return group;
    }).catch((e) => this.translate(e, groupAddress));
  }

  /** Adding a member twice is not an error. */
  async addGroupMember(tenantRef: string, groupAddress: string, mailboxAddress: string): Promise<{ group: DistributionGroup; mailbox: Mailbox; added: boolean }> {
    const tenant = await this.tenants.findTenant(tenantRef);
    return this.ds.transaction(async (em) => {
      const group = await this.getGroup(tenant.id, groupAddress, em);
      const mailbox = await this.getMailbox(tenant.id, mailboxAddress, em);
      const added = await this.addMember(tenant.id, group.id, mailbox.id, em);
      return { group, mailbox, added };
    });
  }

  async listGroups(tenantRef: string): Promise<Array<DistributionGroup & { members: string[] }>> {
    const tenant = await this.tenants.findTenant(tenantRef);
    const scope = new TenantScope(tenant.id, this.ds.manager);
    const [groups, members, mailboxes] = await Promise.all([scope.find(DistributionGroup), scope.find(GroupMember), scope.find(Mailbox)]);
    const byId = new Map(mailboxes.map((m) => [m.id, m.address]));
    return groups.map((g) => ({ ...g, members: members.filter((m) => m.groupId === g.id).map((m) => byId.get(m.mailboxId) as string).sort() }));
  }

  /**
   * Imports mailboxes from CSV (see mailbox-csv.ts for the format). Rows are
   * upserted by address, a batch of rows per transaction with a savepoint per
   * row (one commit per batch, not per row; a broken row rolls back alone): valid rows are applied,
   * broken rows are reported with their line and reason, and importing the
   * same file again changes nothing. Aliases and groups named in a row are
   * added if missing; ones not named are left alone (an import never deletes).
   */
  async importCsv(tenantRef: string, input: Readable, opts: { dryRun?: boolean } = {}): Promise<ImportReport> {
    if (!opts.dryRun) return this.importCsvWith(tenantRef, input, (fn) => this.ds.transaction(fn));
    // A dry run does everything in one transaction that is rolled back: every
    // check that needs the database (addresses taken, rows that would change) is real.
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    try {
      return await this.importCsvWith(tenantRef, input, (fn) => fn(qr.manager));
    } finally {
      await qr.rollbackTransaction().catch(() => undefined);
      await qr.release();
    }
  }

  private async importCsvWith(tenantRef: string, input: Readable, inBatch: <T>(fn: (em: EntityManager) => Promise<T>) => Promise<T>): Promise<ImportReport> {
    const tenant = await this.tenants.findTenant(tenantRef);
    const domains = await this.domainSet(tenant.id, this.ds.manager);
    const report: ImportReport = { rows: 0, created: 0, updated: 0, unchanged: 0, errors: [], errorCount: 0, warnings: [] };
    const fail = (e: MailboxCsvRowError) => {
      report.errorCount++;
      if (report.errors.length < MAX_REPORTED_ROW_ERRORS) report.errors.push(e);
    };
    // The first row that claimed an address: a second one would make the result depend on row order.
    const seen = new Map<string, number>();
    type Pending = { row: number; value: MailboxRowValue; warnings: string[] };
    let batch: Pending[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const rows = batch;
      batch = [];
      const results = await inBatch(async (em) => {
        const out: Array<{ p: Pending; outcome?: Outcome; error?: MailboxCsvRowError }> = [];
        for (const p of rows) {
          await em.query('SAVEPOINT import_row');
          try {
            out.push({ p, outcome: await this.upsertRow(tenant.id, p.value, em) });
            await em.query('RELEASE SAVEPOINT import_row');
          } catch (e) {
            await em.query('ROLLBACK TO SAVEPOINT import_row');
            if (!(e instanceof DirectoryError) && !isUniqueViolation(e)) throw e;
            out.push({ p, error: { row: p.row, code: e instanceof DirectoryError ? e.code : 'address_taken', reason: e instanceof Error ? e.message : String(e) } });
          }
        }
        return out;
      });
      for (const r of results) {
        if (r.error) {
          fail(r.error);
          continue;
        }
        report[r.outcome as Outcome]++;
        for (const w of r.p.warnings) report.warnings.push({ row: r.p.row, message: w });
      }
    };
    for await (const item of readMailboxCsv(input)) {
      report.rows++;
      if (item.kind === 'error') {
        fail({ row: item.row, code: item.code, reason: item.reason });
        continue;
      }
      const check = checkMailboxRow(item.fields, domains);
      if (!check.ok) {
        fail({ row: item.row, code: check.code, reason: check.reason });
        continue;
      }
      const claimed = [check.value.address, ...check.value.aliases].find((a) => seen.has(a));
      if (claimed) {
        fail({ row: item.row, code: 'duplicate_in_file', reason: `${claimed} already appears in row ${seen.get(claimed)}` });
        continue;
      }
      for (const a of [check.value.address, ...check.value.aliases]) seen.set(a, item.row);
      batch.push({ row: item.row, value: check.value, warnings: check.warnings });
      if (batch.length >= IMPORT_BATCH_ROWS) await flush();
    }
    await flush();
    report.errors.sort((a, b) => a.row - b.row);
    return report;
  }

  private async upsertRow(tenantId: string, row: MailboxRowValue, em: EntityManager): Promise<Outcome> {
    const scope = new TenantScope(tenantId, em);
    let outcome: Outcome = 'unchanged';
    let mailbox = await scope.findOne(Mailbox, { address: row.address });
    if (!mailbox) {
      await this.assertAddressFree(tenantId, row.address, em);
      mailbox = await scope.insert(Mailbox, { address: row.address, displayName: row.displayName, mobileE164: row.mobileE164, alternateEmail: row.alternateEmail, kind: 'user', status: 'active' });
      outcome = 'created';
    } else if (mailbox.displayName !== row.displayName || mailbox.mobileE164 !== row.mobileE164 || mailbox.alternateEmail !== row.alternateEmail) {
      await em.update(Mailbox, { id: mailbox.id, tenantId }, { displayName: row.displayName, mobileE164: row.mobileE164, alternateEmail: row.alternateEmail });
      outcome = 'updated';
    }
    for (const address of row.aliases) {
      const alias = await scope.findOne(Alias, { address });
      if (alias?.mailboxId === mailbox.id) continue;
      if (alias) throw MailboxesErrors.addressTaken(address, 'an alias of another mailbox');
      await this.assertAddressFree(tenantId, address, em);
      await scope.insert(Alias, { address, mailboxId: mailbox.id });
      if (outcome === 'unchanged') outcome = 'updated';
    }
    for (const address of row.groups) {
      let group = await scope.findOne(DistributionGroup, { address });
      if (!group) {
        await this.assertAddressFree(tenantId, address, em);
        group = await scope.insert(DistributionGroup, { address, displayName: '' });
      }
      if ((await this.addMember(tenantId, group.id, mailbox.id, em)) && outcome === 'unchanged') outcome = 'updated';
    }
    return outcome;
  }

  private async addMember(tenantId: string, groupId: string, mailboxId: string, em: EntityManager): Promise<boolean> {
    const r: unknown[] = await em.query(
      `INSERT INTO group_members (group_id, mailbox_id, tenant_id) VALUES ($1, $2, $3) ON CONFLICT (group_id, mailbox_id) DO NOTHING RETURNING group_id`,
      [groupId, mailboxId, tenantId],
    );
    return r.length > 0;
  }

  private async domainSet(tenantId: string, em: EntityManager): Promise<Set<string>> {
    return new Set((await this.tenants.domainsOf(tenantId, em)).map((d) => d.name));
  }

  /** Normalises an address and requires its domain to be one of this tenant's. */
  private tenantAddress(input: string, domains: Set<string>): string {
    const parsed = unwrap(normalizeTenantAddress(input));
    if (!domains.has(parsed.domain)) throw MailboxesErrors.addressOutsideTenant(parsed.address, parsed.domain);
    return parsed.address;
  }

  /** One address names one thing: a mailbox, an alias or a group. */
  private async assertAddressFree(tenantId: string, address: string, em: EntityManager): Promise<void> {
    const scope = new TenantScope(tenantId, em);
    if (await scope.findOne(Mailbox, { address })) throw MailboxesErrors.addressTaken(address, 'a mailbox');
    if (await scope.findOne(Alias, { address })) throw MailboxesErrors.addressTaken(address, 'an alias');
    if (await scope.findOne(DistributionGroup, { address })) throw MailboxesErrors.addressTaken(address, 'a distribution group');
  }

  private async getMailbox(tenantId: string, input: string, em: EntityManager): Promise<Mailbox> {
    const address = unwrap(normalizeTenantAddress(input)).address;
    const mailbox = await new TenantScope(tenantId, em).findOne(Mailbox, { address });
    if (!mailbox) throw MailboxesErrors.mailboxNotFound(address);
    return mailbox;
  }

  private async getGroup(tenantId: string, input: string, em: EntityManager): Promise<DistributionGroup> {
    const address = unwrap(normalizeTenantAddress(input)).address;
    const group = await new TenantScope(tenantId, em).findOne(DistributionGroup, { address });
    if (!group) throw MailboxesErrors.groupNotFound(address);
    return group;
  }

  /** A concurrent insert of the same address surfaces as a unique violation; say so in product words. */
  private translate(e: unknown, address: string): never {
    if (isUniqueViolation(e)) throw MailboxesErrors.addressTaken(address.trim().toLowerCase(), 'another entry');
    throw e;
  }
}
