import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DirectoryError } from '@app/tenants/tenants.errors';
import { TenantsService } from '@app/tenants/tenants.service';
import { DistributionGroup, Mailbox, MailboxPatch, normalizeMobile, normalizeTenantAddress } from '@app/mailboxes';
import { AdminAuditService } from '../auth/admin-audit.service';
import { DirectoryService } from '../directory/directory.service';
import { ScimError, ScimErrors } from './scim-error';
import { Filter, indexableEquality, matches, parseFilter } from './scim-filter';
import { applyPatch, readPatchRequest } from './scim-patch';
import { groupFieldsOf, groupResource, listResponse, localPartFromName, Paging, project, ScimMember, userFieldsOf, userResource } from './scim-resources';
import { ScimCaller } from './scim-tokens.service';

type Obj = Record<string, unknown>;

export interface ListParams {
  filter?: string;
  paging: Paging;
  attributes?: string;
  excludedAttributes?: string;
}

/** Tries at most this many numbered addresses (sales-2@, sales-3@, …) for a group whose derived address is taken. */
const MAX_DERIVED_ADDRESS_TRIES = 20;

/** Domain errors in SCIM words: a field rule broken is invalidValue, an address in use is uniqueness. */
function scimError(e: unknown): unknown {
  if (!(e instanceof DirectoryError)) return e;
  if (e.kind === 'invalid') return ScimErrors.invalidValue(e.message);
  if (e.kind === 'conflict') return ScimErrors.uniqueness(e.message);
  if (e.kind === 'not_found') return new ScimError(404, e.message);
  return e;
}

/**
 * SCIM Users and Groups over the directory. Every call acts for the tenant
 * of the caller's token and only sees that tenant's entries (an id of another
 * tenant is not found). Changes are audited under the token's name.
 */
@Injectable()
export class ScimService {
  constructor(
    private readonly directory: DirectoryService,
    private readonly tenants: TenantsService,
    private readonly audit: AdminAuditService,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'PUBLIC_API_URL'>,
  ) {}

  get baseUrl(): string {
    return `${this.cfg.PUBLIC_API_URL.replace(/\/+$/, '')}/scim/v2`;
  }

  private record(caller: ScimCaller, action: string, target: string, details: Obj = {}): Promise<void> {
    return this.audit.recordAs({ kind: 'api_key', id: caller.tokenId, name: `SCIM token "${caller.name}"` }, caller.tenantId, action, target, { via: 'scim', ...details });
  }

  // ---- Users

  /** Users are the tenant's people: shared mailboxes are not provisioned by an identity provider. */
  private async user(caller: ScimCaller, id: string): Promise<Mailbox> {
    const m = await this.directory.findMailbox(caller.tenantId, { id });
    if (!m || m.kind !== 'user') throw ScimErrors.notFound('User', id);
    return m;
  }

  async listUsers(caller: ScimCaller, p: ListParams): Promise<Obj> {
    const filter = p.filter ? parseFilter(p.filter) : null;
    const eq = filter ? indexableEquality(filter, ['username', 'externalid', 'id']) : null;
    let candidates: Mailbox[];
    if (eq) {
      const by = eq.attr === 'username' ? { address: eq.value } : eq.attr === 'externalid' ? { externalId: eq.value } : { id: eq.value };
      const m = await this.directory.findMailbox(caller.tenantId, by);
      candidates = m ? [m] : [];
    } else {
      candidates = await this.directory.allMailboxes(caller.tenantId);
    }
    const resources = candidates
      .filter((m) => m.kind === 'user')
      .map((m) => userResource(m, this.baseUrl))
      .filter((r) => !filter || matches(r, filter));
    return this.page(resources, p);
  }

  async getUser(caller: ScimCaller, id: string, p: Omit<ListParams, 'paging' | 'filter'> = {}): Promise<Obj> {
    return project(userResource(await this.user(caller, id), this.baseUrl), p.attributes, p.excludedAttributes);
  }

  async createUser(caller: ScimCaller, body: unknown): Promise<Obj> {
    const f = userFieldsOf(asObject(body));
    const address = normalizeTenantAddress(f.userName);
    if (!address.ok) throw ScimErrors.invalidValue(`userName: ${address.reason}`);
    if (await this.directory.findMailbox(caller.tenantId, { address: address.value.address })) throw ScimErrors.uniqueness(`a user with userName ${address.value.address} already exists`);
    if (f.externalId) await this.assertExternalIdFree(caller, f.externalId, null);
    let m: Mailbox;
    try {
      m = await this.directory.createMailbox(caller.tenantId, {
        address: address.value.address,
        displayName: f.displayName ?? '',
        mobile: f.mobile ?? null,
        alternateEmail: f.alternateEmail ?? null,
        externalId: f.externalId ?? null,
      });
      if (f.active === false) m = await this.directory.updateMailbox(caller.tenantId, m.id, { status: 'disabled' });
    } catch (e) {
      throw scimError(e);
    }
    await this.record(caller, 'mailbox.create', m.id, { address: m.address, externalId: m.externalId });
    return userResource(m, this.baseUrl);
  }

  /** PUT: the attributes the document carries replace ours; mobile, alternate e-mail and externalId it leaves out are kept. */
  async replaceUser(caller: ScimCaller, id: string, body: unknown): Promise<Obj> {
    const m = await this.user(caller, id);
    const f = userFieldsOf(asObject(body));
    return this.applyUserFields(caller, m, f, 'put');
  }

  async patchUser(caller: ScimCaller, id: string, body: unknown): Promise<Obj> {
    const ops = readPatchRequest(body);
    const m = await this.user(caller, id);
    const doc = applyPatch(userResource(m, this.baseUrl), ops);
    return this.applyUserFields(caller, m, userFieldsOf(doc), 'patch');
  }

  private async applyUserFields(caller: ScimCaller, m: Mailbox, f: ReturnType<typeof userFieldsOf>, mode: 'put' | 'patch'): Promise<Obj> {
    // In a patched document an attribute that is gone was removed; in a PUT it was not mentioned.
    const absent = mode === 'patch' ? null : undefined;
    const patch: MailboxPatch = {};
    const address = normalizeTenantAddress(f.userName);
    if (!address.ok) throw ScimErrors.invalidValue(`userName: ${address.reason}`);
    if (address.value.address !== m.address) patch.address = address.value.address;
    const displayName = f.displayName ?? (mode === 'patch' ? '' : undefined);
    if (displayName !== undefined && displayName !== m.displayName) patch.displayName = displayName;
    const mobile = f.mobile === undefined ? absent : f.mobile;
    if (mobile !== undefined && !sameMobile(mobile, m.mobileE164)) patch.mobile = mobile;
    const alternateEmail = f.alternateEmail === undefined ? absent : f.alternateEmail;
    if (alternateEmail !== undefined && (alternateEmail ?? '').toLowerCase() !== (m.alternateEmail ?? '').toLowerCase()) patch.alternateEmail = alternateEmail;
    const externalId = f.externalId === undefined ? absent : f.externalId;
    if (externalId !== undefined && externalId !== m.externalId) {
      if (externalId) await this.assertExternalIdFree(caller, externalId, m.id);
      patch.externalId = externalId;
    }
    if (f.active !== undefined && (f.active ? 'active' : 'disabled') !== m.status) patch.status = f.active ? 'active' : 'disabled';
    let updated = m;
    if (Object.keys(patch).length) {
      try {
        updated = await this.directory.updateMailbox(caller.tenantId, m.id, patch);
      } catch (e) {
        throw scimError(e);
      }
      const changed = Object.keys(patch).filter((k) => k !== 'status');
      if (patch.status === 'disabled') await this.record(caller, 'mailbox.disable', m.id, { address: updated.address });
      if (changed.length || patch.status === 'active') {
        await this.record(caller, 'mailbox.update', m.id, { address: updated.address, fields: changed, ...(patch.status === 'active' ? { status: 'active' } : {}) });
      }
    }
    return userResource(updated, this.baseUrl);
  }

  /**
   * Deleting a user disables the mailbox instead of erasing it: the standby
   * copy of the employee's mail is kept until the rolling window's retention
   * removes it, so an unassignment in the identity provider (by mistake, or
   * during an outage) loses no mail. Provisioning the same userName again
   * finds the mailbox and enables it.
   */
  async deleteUser(caller: ScimCaller, id: string): Promise<void> {
    const m = await this.user(caller, id);
    if (m.status === 'disabled') return;
    await this.directory.disableMailbox(caller.tenantId, m.id);
    await this.record(caller, 'mailbox.disable', m.id, { address: m.address, reason: 'SCIM DELETE' });
  }

  private async assertExternalIdFree(caller: ScimCaller, externalId: string, selfId: string | null): Promise<void> {
    const other = await this.directory.findMailbox(caller.tenantId, { externalId });
    if (other && other.id !== selfId) throw ScimErrors.uniqueness(`externalId ${externalId} already belongs to user ${other.id}`);
  }

  // ---- Groups

  private async groupResources(caller: ScimCaller, groups: DistributionGroup[], withMembers: boolean): Promise<Obj[]> {
    const members = withMembers ? await this.directory.membersOf(caller.tenantId, groups.map((g) => g.id)) : null;
    return groups.map((g) => groupResource(g, members ? ((members.get(g.id) ?? []) as ScimMember[]) : null, this.baseUrl));
  }

  private async group(caller: ScimCaller, id: string): Promise<DistributionGroup> {
    const [g] = await this.directory.findGroup(caller.tenantId, { id });
    if (!g) throw ScimErrors.notFound('Group', id);
    return g;
  }

  async listGroups(caller: ScimCaller, p: ListParams): Promise<Obj> {
    const filter: Filter | null = p.filter ? parseFilter(p.filter) : null;
    const eq = filter ? indexableEquality(filter, ['id', 'externalid', 'displayname']) : null;
    const groups = eq
      ? await this.directory.findGroup(caller.tenantId, eq.attr === 'id' ? { id: eq.value } : eq.attr === 'externalid' ? { externalId: eq.value } : { displayName: eq.value })
      : await this.directory.allGroups(caller.tenantId);
    const wantMembers = !!filter || !excludes(p, 'members');
    const resources = (await this.groupResources(caller, groups, wantMembers)).filter((r) => !filter || matches(r, filter));
    return this.page(resources, p);
  }

  async getGroup(caller: ScimCaller, id: string, p: Omit<ListParams, 'paging' | 'filter'> = {}): Promise<Obj> {
    const g = await this.group(caller, id);
    const [r] = await this.groupResources(caller, [g], !excludes(p, 'members'));
    return project(r, p.attributes, p.excludedAttributes);
  }

  async createGroup(caller: ScimCaller, body: unknown): Promise<Obj> {
    const f = groupFieldsOf(asObject(body));
    if (f.externalId) await this.assertGroupExternalIdFree(caller, f.externalId, null);
    if (f.memberIds?.length) await this.assertUsers(caller, f.memberIds);
    const candidates = f.address ? [f.address] : await this.derivedAddresses(caller, f.displayName);
    let g: DistributionGroup | null = null;
    for (const address of candidates) {
      try {
        g = await this.directory.createGroup(caller.tenantId, { address, displayName: f.displayName, externalId: f.externalId ?? null, memberIds: f.memberIds });
        break;
      } catch (e) {
        const taken = e instanceof DirectoryError && e.code === 'address_taken';
        if (!taken || f.address || address === candidates[candidates.length - 1]) throw scimError(e);
      }
    }
    if (!g) throw ScimErrors.uniqueness('no free address for the group');
    await this.record(caller, 'group.create', g.id, { address: g.address, externalId: g.externalId, members: f.memberIds?.length ?? 0 });
    const [r] = await this.groupResources(caller, [g], true);
    return r;
  }

  async replaceGroup(caller: ScimCaller, id: string, body: unknown): Promise<Obj> {
    const g = await this.group(caller, id);
    return this.applyGroupFields(caller, g, groupFieldsOf(asObject(body)), 'put');
  }

  async patchGroup(caller: ScimCaller, id: string, body: unknown): Promise<Obj> {
    const ops = readPatchRequest(body);
    const g = await this.group(caller, id);
    const [current] = await this.groupResources(caller, [g], true);
    const before = groupFieldsOf(current).memberIds ?? [];
    return this.applyGroupFields(caller, g, groupFieldsOf(applyPatch(current, ops)), 'patch', before);
  }

  /** `membersBefore`: for a PATCH, the members it was applied to; their difference is what changes. */
  private async applyGroupFields(caller: ScimCaller, g: DistributionGroup, f: ReturnType<typeof groupFieldsOf>, mode: 'put' | 'patch', membersBefore: string[] = []): Promise<Obj> {
    const absent = mode === 'patch' ? null : undefined;
    const externalId = f.externalId === undefined ? absent : f.externalId;
    const patch: { displayName?: string; externalId?: string | null } = {};
    if (f.displayName !== g.displayName) patch.displayName = f.displayName;
    if (externalId !== undefined && externalId !== g.externalId) {
      if (externalId) await this.assertGroupExternalIdFree(caller, externalId, g.id);
      patch.externalId = externalId;
    }
    const memberIds = f.memberIds ?? (mode === 'patch' ? [] : undefined);
    // Members already there (a shared mailbox an admin added, say) are not the request's to justify.
    if (memberIds) await this.assertUsers(caller, memberIds.filter((id) => mode === 'put' || !membersBefore.includes(id)));
    if (Object.keys(patch).length) {
      await this.directory.updateGroup(caller.tenantId, g.id, patch);
      await this.record(caller, 'group.update', g.id, { address: g.address, fields: Object.keys(patch) });
    }
    if (memberIds) {
      const { added, removed } =
        mode === 'patch'
          ? await this.directory.changeGroupMembers(caller.tenantId, g.id, memberIds.filter((id) => !membersBefore.includes(id)), membersBefore.filter((id) => !memberIds.includes(id)))
          : await this.directory.setGroupMembers(caller.tenantId, g.id, memberIds);
      if (added.length) await this.record(caller, 'group.member_add', g.id, { address: g.address, memberIds: added });
      if (removed.length) await this.record(caller, 'group.member_remove', g.id, { address: g.address, memberIds: removed });
    }
    const [r] = await this.groupResources(caller, [{ ...g, ...patch }], true);
    return r;
  }

  async deleteGroup(caller: ScimCaller, id: string): Promise<void> {
    const g = await this.group(caller, id);
    await this.directory.deleteGroup(caller.tenantId, g.id);
    await this.record(caller, 'group.delete', g.id, { address: g.address });
  }

  private async assertGroupExternalIdFree(caller: ScimCaller, externalId: string, selfId: string | null): Promise<void> {
    const [other] = await this.directory.findGroup(caller.tenantId, { externalId });
    if (other && other.id !== selfId) throw ScimErrors.uniqueness(`externalId ${externalId} already belongs to group ${other.id}`);
  }

  /** Members must be Users of this tenant (ids of another tenant are unknown here). */
  private async assertUsers(caller: ScimCaller, ids: string[]): Promise<void> {
    const users = new Set((await this.directory.mailboxesByIds(caller.tenantId, ids)).filter((m) => m.kind === 'user').map((m) => m.id));
    const unknown = ids.find((id) => !users.has(id));
    if (unknown) throw ScimErrors.invalidValue(`members: there is no User ${unknown}`);
  }

  /** sales-team@first-domain, then sales-team-2@… (verified domains first, oldest first). */
  private async derivedAddresses(caller: ScimCaller, displayName: string): Promise<string[]> {
    const domains = (await this.tenants.domainsOf(caller.tenantId)).sort(
      (a, b) => Number(!a.verifiedAt) - Number(!b.verifiedAt) || new Date(a.createdAt).getTime() - new Date(b.createdAt).getTime(),
    );
    if (!domains.length) throw ScimErrors.invalidValue('the tenant has no domain to give the group an address in');
    const local = localPartFromName(displayName);
    return Array.from({ length: MAX_DERIVED_ADDRESS_TRIES }, (_, i) => `${i ? `${local.slice(0, 60)}-${i + 1}` : local}@${domains[0].name}`);
  }

  private page(resources: Obj[], p: ListParams): Obj {
    const list = listResponse(resources, p.paging);
    list.Resources = (list.Resources as Obj[]).map((r) => project(r, p.attributes, p.excludedAttributes));
    return list;
  }
}

/** Whether a mobile number as sent is the one stored (false when it differs or does not parse: the update then says why). */
function sameMobile(sent: string | null, stored: string | null): boolean {
  const n = normalizeMobile(sent);
  return n.ok && n.value === stored;
}

function excludes(p: Pick<ListParams, 'attributes' | 'excludedAttributes'>, attr: string): boolean {
  const list = (s?: string) => (s ?? '').split(',').map((a) => a.trim().toLowerCase());
  if (p.attributes) return !list(p.attributes).includes(attr);
  return list(p.excludedAttributes).includes(attr);
}

function asObject(body: unknown): Obj {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ScimErrors.invalidSyntax('the body must be a JSON object');
  return body as Obj;
}
