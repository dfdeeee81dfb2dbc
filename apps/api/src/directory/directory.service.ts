import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { DataSource, EntityManager, In } from 'typeorm';
import { TenantScope } from '@app/database/tenant-scope';
import { HttpError } from '@app/http';
import { Alias, csvLine, DistributionGroup, GroupMember, ImportReport, Mailbox, MailboxesService, MailboxInput, MailboxPatch, normalizeTenantAddress, OPTIONAL_COLUMNS, REQUIRED_COLUMNS } from '@app/mailboxes';
import { groupView, GroupView, mailboxView, MailboxView, MemberView, SharedMemberView, withField } from './directory-views';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface MailboxListQuery {
  q?: string;
  status?: Mailbox['status'];
  kind?: Mailbox['kind'];
  limit: number;
  offset: number;
}

export interface MailboxDetail extends MailboxView {
  aliases: Array<{ id: string; address: string }>;
  groups: Array<{ id: string; address: string; displayName: string }>;
  sharedMailboxes: Array<{ id: string; address: string; displayName: string; canSendAs: boolean }>;
  members?: SharedMemberView[];
}

export interface AliasView {
  id: string;
  address: string;
  mailboxId: string;
  mailboxAddress: string;
  createdAt: string;
}

export type GroupDetail = GroupView & { members: MemberView[] };
export type SharedMailboxView = MailboxView & { members: SharedMemberView[] };

const notFound = (code: string, what: string) => new HttpError(404, code, `the tenant has no ${what}`);

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The tenant's directory as the admin API and SCIM see it: entries addressed
 * by id, every query scoped by tenant id (an id of another tenant is simply
 * not found). Creation and the field rules stay in MailboxesService, so the
 * CLI, the CSV import, the API and SCIM apply the same ones.
 */
@Injectable()
export class DirectoryService {
  constructor(
    private readonly ds: DataSource,
    private readonly mailboxes: MailboxesService,
  ) {}

  // ---- mailboxes

  async listMailboxes(tenantId: string, query: MailboxListQuery): Promise<{ items: MailboxView[]; total: number }> {
    const qb = this.ds.getRepository(Mailbox).createQueryBuilder('m').where('m.tenant_id = :tenantId', { tenantId });
    if (query.q?.trim()) qb.andWhere(`(m.address ILIKE :q ESCAPE '\\' OR m.display_name ILIKE :q ESCAPE '\\')`, { q: `%${escapeLike(query.q.trim())}%` });
    if (query.status) qb.andWhere('m.status = :status', { status: query.status });
    if (query.kind) qb.andWhere('m.kind = :kind', { kind: query.kind });
    const [rows, total] = await qb.orderBy('m.address', 'ASC').skip(query.offset).take(query.limit).getManyAndCount();
    return { items: rows.map(mailboxView), total };
  }

  async allMailboxes(tenantId: string): Promise<Mailbox[]> {
    return this.ds.getRepository(Mailbox).find({ where: { tenantId }, order: { address: 'ASC' } });
  }

  async mailbox(tenantId: string, id: string, em: EntityManager = this.ds.manager): Promise<Mailbox> {
    const m = UUID.test(id) ? await new TenantScope(tenantId, em).findOne(Mailbox, { id }) : null;
    if (!m) throw notFound('mailbox_not_found', `mailbox ${id}`);
    return m;
  }

  async findMailbox(tenantId: string, by: { address?: string; externalId?: string; id?: string }): Promise<Mailbox | null> {
    const scope = new TenantScope(tenantId, this.ds.manager);
    if (by.id !== undefined) return UUID.test(by.id) ? scope.findOne(Mailbox, { id: by.id }) : null;
    if (by.externalId !== undefined) return scope.findOne(Mailbox, { externalId: by.externalId });
    if (by.address !== undefined) {
      const a = normalizeTenantAddress(by.address);
      return a.ok ? scope.findOne(Mailbox, { address: a.value.address }) : null;
    }
    return null;
  }

  async mailboxDetail(tenantId: string, id: string): Promise<MailboxDetail> {
    const m = await this.mailbox(tenantId, id);
    const scope = new TenantScope(tenantId, this.ds.manager);
    const [aliases, groups, shared] = await Promise.all([
      scope.find(Alias, { mailboxId: m.id }),
      this.ds.query(
        `SELECT g.id, g.address, g.display_name FROM group_members gm JOIN distribution_groups g ON g.id = gm.group_id
          WHERE gm.tenant_id = $1 AND g.tenant_id = $1 AND gm.mailbox_id = $2 ORDER BY g.address`,
        [tenantId, m.id],
      ) as Promise<Array<{ id: string; address: string; display_name: string }>>,
      this.ds.query(
        `SELECT s.id, s.address, s.display_name, smm.can_send_as FROM shared_mailbox_members smm JOIN mailboxes s ON s.id = smm.shared_mailbox_id
          WHERE smm.tenant_id = $1 AND s.tenant_id = $1 AND smm.member_mailbox_id = $2 ORDER BY s.address`,
        [tenantId, m.id],
      ) as Promise<Array<{ id: string; address: string; display_name: string; can_send_as: boolean }>>,
    ]);
    return {
      ...mailboxView(m),
      aliases: aliases.sort((a, b) => a.address.localeCompare(b.address)).map((a) => ({ id: a.id, address: a.address })),
      groups: groups.map((g) => ({ id: g.id, address: g.address, displayName: g.display_name })),
      sharedMailboxes: shared.map((s) => ({ id: s.id, address: s.address, displayName: s.display_name, canSendAs: s.can_send_as })),
      ...(m.kind === 'shared' ? { members: await this.sharedMembers(tenantId, m.id) } : {}),
    };
  }

  async createMailbox(tenantId: string, input: MailboxInput): Promise<Mailbox> {
    try {
      return await this.mailboxes.createMailbox(tenantId, input);
    } catch (e) {
      throw withField(e);
    }
  }

  async updateMailbox(tenantId: string, id: string, patch: MailboxPatch): Promise<Mailbox> {
    const m = await this.mailbox(tenantId, id);
    try {
      await this.mailboxes.updateMailbox(tenantId, m.address, patch);
    } catch (e) {
      throw withField(e);
    }
    return this.mailbox(tenantId, id);
  }

  /**
   * Removing a mailbox disables it: the standby copy stays until the rolling
   * window's retention purges it, so mail received before the removal is
   * still there if the removal was a mistake or an outage starts now.
   */
  disableMailbox(tenantId: string, id: string): Promise<Mailbox> {
    return this.updateMailbox(tenantId, id, { status: 'disabled' });
  }

  importCsv(tenantId: string, input: Readable, dryRun: boolean): Promise<ImportReport> {
    return this.mailboxes.importCsv(tenantId, input, { dryRun });
  }

  /** The import format (same columns, so the file can be edited and imported again), formula cells guarded. */
  async exportCsv(tenantId: string): Promise<string> {
    const scope = new TenantScope(tenantId, this.ds.manager);
    const [boxes, aliases, groups, members] = await Promise.all([this.allMailboxes(tenantId), scope.find(Alias), scope.find(DistributionGroup), scope.find(GroupMember)]);
    const groupAddress = new Map(groups.map((g) => [g.id, g.address]));
    const lines = [csvLine([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS])];
    for (const m of boxes) {
      const own = aliases.filter((a) => a.mailboxId === m.id).map((a) => a.address).sort();
      const inGroups = members.filter((gm) => gm.mailboxId === m.id).map((gm) => groupAddress.get(gm.groupId) as string).filter(Boolean).sort();
      lines.push(csvLine([m.address, m.displayName, m.mobileE164 ?? '', m.alternateEmail ?? '', own.join(';'), inGroups.join(';')]));
    }
    return lines.join('');
  }

  // ---- aliases

  async listAliases(tenantId: string, mailboxId?: string): Promise<AliasView[]> {
    if (mailboxId !== undefined && !UUID.test(mailboxId)) return [];
    const rows: Array<{ id: string; address: string; mailbox_id: string; mailbox_address: string; created_at: Date }> = await this.ds.query(
      `SELECT a.id, a.address, a.mailbox_id, m.address AS mailbox_address, a.created_at FROM aliases a JOIN mailboxes m ON m.id = a.mailbox_id
        WHERE a.tenant_id = $1 AND m.tenant_id = $1 ${mailboxId ? 'AND a.mailbox_id = $2' : ''} ORDER BY a.address`,
      mailboxId ? [tenantId, mailboxId] : [tenantId],
    );
    return rows.map((r) => ({ id: r.id, address: r.address, mailboxId: r.mailbox_id, mailboxAddress: r.mailbox_address, createdAt: new Date(r.created_at).toISOString() }));
  }

  async createAlias(tenantId: string, address: string, mailboxId: string): Promise<AliasView> {
    const m = await this.mailbox(tenantId, mailboxId);
    let alias: Alias;
    try {
      alias = await this.mailboxes.addAlias(tenantId, address, m.address);
    } catch (e) {
      throw withField(e);
    }
    return { id: alias.id, address: alias.address, mailboxId: m.id, mailboxAddress: m.address, createdAt: new Date(alias.createdAt).toISOString() };
  }

  async deleteAlias(tenantId: string, aliasId: string): Promise<Alias> {
    const alias = UUID.test(aliasId) ? await new TenantScope(tenantId, this.ds.manager).findOne(Alias, { id: aliasId }) : null;
    if (!alias) throw notFound('alias_not_found', `alias ${aliasId}`);
    await this.ds.getRepository(Alias).delete({ id: alias.id, tenantId });
    return alias;
  }

  // ---- distribution groups

  async listGroups(tenantId: string, q?: string): Promise<GroupView[]> {
    const rows: Array<DistributionGroup & { member_count: string }> = await this.ds.query(
      `SELECT g.id, g.address, g.display_name AS "displayName", g.external_id AS "externalId", g.created_at AS "createdAt",
              (SELECT count(*) FROM group_members gm WHERE gm.group_id = g.id AND gm.tenant_id = $1) AS member_count
         FROM distribution_groups g
        WHERE g.tenant_id = $1 ${q?.trim() ? `AND (g.address ILIKE $2 ESCAPE '\\' OR g.display_name ILIKE $2 ESCAPE '\\')` : ''}
        ORDER BY g.address`,
      q?.trim() ? [tenantId, `%${escapeLike(q.trim())}%`] : [tenantId],
    );
    return rows.map((r) => groupView(r, Number(r.member_count)));
  }

  async allGroups(tenantId: string): Promise<DistributionGroup[]> {
    return this.ds.getRepository(DistributionGroup).find({ where: { tenantId }, order: { address: 'ASC' } });
  }

  async group(tenantId: string, id: string, em: EntityManager = this.ds.manager): Promise<DistributionGroup> {
    const g = UUID.test(id) ? await new TenantScope(tenantId, em).findOne(DistributionGroup, { id }) : null;
    if (!g) throw notFound('group_not_found', `distribution group ${id}`);
    return g;
  }

  async findGroup(tenantId: string, by: { id?: string; externalId?: string; displayName?: string }): Promise<DistributionGroup[]> {
    const repo = this.ds.getRepository(DistributionGroup);
    if (by.id !== undefined) return UUID.test(by.id) ? repo.find({ where: { tenantId, id: by.id } }) : [];
    if (by.externalId !== undefined) return repo.find({ where: { tenantId, externalId: by.externalId } });
    if (by.displayName !== undefined) return repo.createQueryBuilder('g').where('g.tenant_id = :tenantId AND lower(g.display_name) = lower(:n)', { tenantId, n: by.displayName }).getMany();
    return [];
  }

  /** Members of the given groups, by group id. */
  async membersOf(tenantId: string, groupIds: string[]): Promise<Map<string, MemberView[]>> {
    const out = new Map<string, MemberView[]>(groupIds.map((id) => [id, []]));
    if (!groupIds.length) return out;
    const rows: Array<{ group_id: string; id: string; address: string; display_name: string; status: Mailbox['status'] }> = await this.ds.query(
      `SELECT gm.group_id, m.id, m.address, m.display_name, m.status FROM group_members gm JOIN mailboxes m ON m.id = gm.mailbox_id
        WHERE gm.tenant_id = $1 AND m.tenant_id = $1 AND gm.group_id = ANY($2::uuid[]) ORDER BY m.address`,
      [tenantId, groupIds],
    );
    for (const r of rows) out.get(r.group_id)?.push({ id: r.id, address: r.address, displayName: r.display_name, status: r.status });
    return out;
  }

  async groupDetail(tenantId: string, id: string): Promise<GroupDetail> {
    const g = await this.group(tenantId, id);
    const members = (await this.membersOf(tenantId, [g.id])).get(g.id) ?? [];
    return { ...groupView(g, members.length), members };
  }

  /** The tenant's mailboxes among `ids` (others, and malformed ids, are left out). */
  async mailboxesByIds(tenantId: string, ids: string[]): Promise<Mailbox[]> {
    const valid = [...new Set(ids.filter((id) => UUID.test(id)))];
    return valid.length ? this.ds.getRepository(Mailbox).find({ where: { tenantId, id: In(valid) } }) : [];
  }

  /** Mailbox ids of this tenant, or a 404 naming the first that is not one. */
  async assertMailboxIds(tenantId: string, ids: string[], field: string): Promise<void> {
    const valid = ids.filter((id) => UUID.test(id));
    const found = valid.length ? await this.ds.getRepository(Mailbox).find({ select: { id: true }, where: { tenantId, id: In(valid) } }) : [];
    const known = new Set(found.map((m) => m.id));
    const i = ids.findIndex((id) => !known.has(id));
    if (i >= 0) throw new HttpError(404, 'mailbox_not_found', `${field}[${i}]: the tenant has no mailbox ${ids[i]}`);
  }

  async createGroup(tenantId: string, input: { address: string; displayName?: string; externalId?: string | null; memberIds?: string[] }): Promise<DistributionGroup> {
    if (input.memberIds?.length) await this.assertMailboxIds(tenantId, input.memberIds, 'memberIds');
    try {
      return await this.mailboxes.createGroup(tenantId, input.address, input.displayName ?? '', { externalId: input.externalId, memberIds: input.memberIds });
    } catch (e) {
      throw withField(e);
    }
  }

  async updateGroup(tenantId: string, id: string, patch: { displayName?: string; externalId?: string | null }): Promise<DistributionGroup> {
    const g = await this.group(tenantId, id);
    const changes: Partial<DistributionGroup> = {};
    if (patch.displayName !== undefined) changes.displayName = patch.displayName.trim();
    if (patch.externalId !== undefined) changes.externalId = patch.externalId;
    if (Object.keys(changes).length) await this.ds.getRepository(DistributionGroup).update({ id: g.id, tenantId }, changes);
    return { ...g, ...changes };
  }

  async deleteGroup(tenantId: string, id: string): Promise<DistributionGroup> {
    const g = await this.group(tenantId, id);
    await this.ds.getRepository(DistributionGroup).delete({ id: g.id, tenantId });
    return g;
  }

  async addGroupMember(tenantId: string, groupId: string, mailboxId: string): Promise<{ group: DistributionGroup; mailbox: Mailbox; added: boolean }> {
    const group = await this.group(tenantId, groupId);
    const mailbox = await this.mailbox(tenantId, mailboxId);
    const r: unknown[] = await this.ds.query(
      `INSERT INTO group_members (group_id, mailbox_id, tenant_id) VALUES ($1, $2, $3) ON CONFLICT (group_id, mailbox_id) DO NOTHING RETURNING group_id`,
      [group.id, mailbox.id, tenantId],
    );
    return { group, mailbox, added: r.length > 0 };
  }

  async removeGroupMember(tenantId: string, groupId: string, mailboxId: string): Promise<DistributionGroup> {
    const group = await this.group(tenantId, groupId);
    const r = UUID.test(mailboxId) ? await this.ds.getRepository(GroupMember).delete({ groupId: group.id, mailboxId, tenantId }) : { affected: 0 };
    if (!r.affected) throw notFound('member_not_found', `member ${mailboxId} in group ${group.address}`);
    return group;
  }

  /** Makes the members exactly `mailboxIds`; returns what was added and removed. */
  async setGroupMembers(tenantId: string, groupId: string, mailboxIds: string[]): Promise<{ added: string[]; removed: string[] }> {
    await this.assertMailboxIds(tenantId, mailboxIds, 'members');
    return this.ds.transaction(async (em) => {
      const group = await this.group(tenantId, groupId, em);
      const current = (await new TenantScope(tenantId, em).find(GroupMember, { groupId: group.id })).map((m) => m.mailboxId);
      const want = new Set(mailboxIds);
      const removed = current.filter((id) => !want.has(id));
      const added = [...want].filter((id) => !current.includes(id));
      if (removed.length) await em.getRepository(GroupMember).delete({ groupId: group.id, tenantId, mailboxId: In(removed) });
      for (const id of added) {
        await em.query(`INSERT INTO group_members (group_id, mailbox_id, tenant_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [group.id, id, tenantId]);
      }
      return { added, removed };
    });
  }

  /**
   * Adds and removes members by difference, so that two changes made at the
   * same time (an identity provider sends them in parallel) both take effect.
   */
  async changeGroupMembers(tenantId: string, groupId: string, add: string[], remove: string[]): Promise<{ added: string[]; removed: string[] }> {
    if (add.length) await this.assertMailboxIds(tenantId, add, 'members');
    return this.ds.transaction(async (em) => {
      const group = await this.group(tenantId, groupId, em);
      const added: string[] = [];
      for (const id of new Set(add)) {
        const r: unknown[] = await em.query(
          `INSERT INTO group_members (group_id, mailbox_id, tenant_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING mailbox_id`,
          [group.id, id, tenantId],
        );
        if (r.length) added.push(id);
      }
      const valid = [...new Set(remove)].filter((id) => UUID.test(id));
      const gone: Array<{ mailbox_id: string }> = valid.length
        ? ((await em.query(`DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND mailbox_id = ANY($3::uuid[]) RETURNING mailbox_id`, [tenantId, group.id, valid])) as [Array<{ mailbox_id: string }>, number])[0]
        : [];
      return { added, removed: gone.map((r) => r.mailbox_id) };
    });
  }

  // ---- shared mailboxes

  async sharedMailbox(tenantId: string, id: string): Promise<Mailbox> {
    const m = UUID.test(id) ? await new TenantScope(tenantId, this.ds.manager).findOne(Mailbox, { id, kind: 'shared' }) : null;
    if (!m) throw notFound('shared_mailbox_not_found', `shared mailbox ${id}`);
    return m;
  }

  async sharedMembers(tenantId: string, sharedId: string): Promise<SharedMemberView[]> {
    const rows: Array<{ id: string; address: string; display_name: string; can_send_as: boolean; created_at: Date }> = await this.ds.query(
      `SELECT m.id, m.address, m.display_name, smm.can_send_as, smm.created_at FROM shared_mailbox_members smm JOIN mailboxes m ON m.id = smm.member_mailbox_id
        WHERE smm.tenant_id = $1 AND m.tenant_id = $1 AND smm.shared_mailbox_id = $2 ORDER BY m.address`,
      [tenantId, sharedId],
    );
    return rows.map((r) => ({ mailboxId: r.id, address: r.address, displayName: r.display_name, canSendAs: r.can_send_as, createdAt: new Date(r.created_at).toISOString() }));
  }

  async listShared(tenantId: string): Promise<SharedMailboxView[]> {
    const boxes = await this.ds.getRepository(Mailbox).find({ where: { tenantId, kind: 'shared' }, order: { address: 'ASC' } });
    return Promise.all(boxes.map(async (m) => ({ ...mailboxView(m), members: await this.sharedMembers(tenantId, m.id) })));
  }

  async sharedView(tenantId: string, id: string): Promise<SharedMailboxView> {
    const m = await this.sharedMailbox(tenantId, id);
    return { ...mailboxView(m), members: await this.sharedMembers(tenantId, m.id) };
  }

  /** Adds a member, or sets can_send_as of an existing one. */
  async putSharedMember(tenantId: string, sharedId: string, memberId: string, canSendAs: boolean): Promise<{ shared: Mailbox; member: Mailbox; added: boolean }> {
    const shared = await this.sharedMailbox(tenantId, sharedId);
    const member = await this.mailbox(tenantId, memberId);
    if (member.kind !== 'user') throw new HttpError(400, 'member_invalid', `mailboxId: ${member.address} is a shared mailbox; members are the mailboxes of people`);
    const r: Array<{ inserted: boolean }> = await this.ds.query(
      `INSERT INTO shared_mailbox_members (tenant_id, shared_mailbox_id, member_mailbox_id, can_send_as) VALUES ($1, $2, $3, $4)
       ON CONFLICT (shared_mailbox_id, member_mailbox_id) DO UPDATE SET can_send_as = EXCLUDED.can_send_as
       RETURNING (xmax = 0) AS inserted`,
      [tenantId, shared.id, member.id, canSendAs],
    );
    return { shared, member, added: !!r[0]?.inserted };
  }

  async updateSharedMember(tenantId: string, sharedId: string, memberId: string, canSendAs: boolean): Promise<Mailbox> {
    const shared = await this.sharedMailbox(tenantId, sharedId);
    const r: unknown = UUID.test(memberId)
      ? await this.ds.query(
          `UPDATE shared_mailbox_members SET can_send_as = $4 WHERE tenant_id = $1 AND shared_mailbox_id = $2 AND member_mailbox_id = $3 RETURNING member_mailbox_id`,
          [tenantId, shared.id, memberId, canSendAs],
        )
      : [];
    if (!affectedRows(r)) throw notFound('member_not_found', `member ${memberId} of ${shared.address}`);
    return shared;
  }

  async removeSharedMember(tenantId: string, sharedId: string, memberId: string): Promise<Mailbox> {
    const shared = await this.sharedMailbox(tenantId, sharedId);
    const r: unknown = UUID.test(memberId)
      ? await this.ds.query(`DELETE FROM shared_mailbox_members WHERE tenant_id = $1 AND shared_mailbox_id = $2 AND member_mailbox_id = $3 RETURNING member_mailbox_id`, [tenantId, shared.id, memberId])
      : [];
    if (!affectedRows(r)) throw notFound('member_not_found', `member ${memberId} of ${shared.address}`);
    return shared;
  }
}

/** pg through TypeORM answers UPDATE/DELETE … RETURNING with [rows, count]. */
function affectedRows(r: unknown): number {
  if (Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number') return r[1];
  return Array.isArray(r) ? r.length : 0;
}
