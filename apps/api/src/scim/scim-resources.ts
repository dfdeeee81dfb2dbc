import { ScimErrors } from './scim-error';
import { keyOf, valuesAt } from './scim-filter';

/**
 * The SCIM view of the directory (RFC 7643): a User is a mailbox, a Group is
 * a distribution group. One mapping each way; POST, PUT and PATCH all end in
 * `userFieldsOf` / `groupFieldsOf`.
 *
 * User ↔ mailbox:
 *   id ↔ mailbox id; userName ↔ address (the mailbox's own e-mail address);
 *   displayName (else name.formatted, else givenName familyName) ↔ display name;
 *   active ↔ status active/disabled; externalId ↔ external_id;
 *   phoneNumbers[type eq "mobile"] ↔ mobile (E.164);
 *   emails[type eq "other" or "home"] ↔ alternate e-mail (outside the tenant's domains:
 *   where credentials go while Exchange is down).
 *   emails[type eq "work"] is always the mailbox address on the way out; on the way in
 *   it is accepted and not stored separately (the address is userName).
 * Group ↔ distribution group:
 *   id, displayName, externalId, members[].value = mailbox ids. A group created by
 *   SCIM gets its address from emails[0].value when the provider sends one, else
 *   from the display name in the tenant's first domain.
 */
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 100;

type Obj = Record<string, unknown>;

export interface ScimMailbox {
  id: string;
  address: string;
  displayName: string;
  mobileE164: string | null;
  alternateEmail: string | null;
  status: 'active' | 'disabled';
  externalId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ScimGroupRow {
  id: string;
  address: string;
  displayName: string;
  externalId: string | null;
  createdAt: Date;
}

export interface ScimMember {
  id: string;
  address: string;
  displayName: string;
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function get(doc: Obj, name: string): unknown {
  const k = keyOf(doc, name);
  return k === undefined ? undefined : doc[k];
}

export function userResource(m: ScimMailbox, baseUrl: string): Obj {
  const emails: Obj[] = [{ value: m.address, type: 'work', primary: true }];
  if (m.alternateEmail) emails.push({ value: m.alternateEmail, type: 'other', primary: false });
  return {
    schemas: [USER_SCHEMA],
    id: m.id,
    ...(m.externalId ? { externalId: m.externalId } : {}),
    userName: m.address,
    ...(m.displayName ? { displayName: m.displayName, name: { formatted: m.displayName } } : {}),
    active: m.status === 'active',
    emails,
    ...(m.mobileE164 ? { phoneNumbers: [{ value: m.mobileE164, type: 'mobile', primary: true }] } : {}),
    meta: { resourceType: 'User', created: m.createdAt.toISOString(), lastModified: m.updatedAt.toISOString(), location: `${baseUrl}/Users/${m.id}` },
  };
}

export function groupResource(g: ScimGroupRow, members: ScimMember[] | null, baseUrl: string): Obj {
  return {
    schemas: [GROUP_SCHEMA],
    id: g.id,
    ...(g.externalId ? { externalId: g.externalId } : {}),
    displayName: g.displayName || g.address,
    ...(members ? { members: members.map((m) => ({ value: m.id, display: m.displayName || m.address, type: 'User', $ref: `${baseUrl}/Users/${m.id}` })) } : {}),
    meta: { resourceType: 'Group', created: g.createdAt.toISOString(), lastModified: g.createdAt.toISOString(), location: `${baseUrl}/Groups/${g.id}` },
  };
}

/** What a SCIM User document asks of the mailbox. `undefined`: the document does not say (PUT leaves it alone). */
export interface UserFields {
  userName: string;
  displayName: string | undefined;
  active: boolean | undefined;
  externalId: string | null | undefined;
  mobile: string | null | undefined;
  alternateEmail: string | null | undefined;
}

export function readBoolean(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v;
  // Entra has sent "True"/"False" as strings for years.
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  throw ScimErrors.invalidValue(`${what} must be true or false`);
}

function optionalString(v: unknown, what: string): string | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v === 'string') return v.trim() || null;
  throw ScimErrors.invalidValue(`${what} must be a string`);
}

function typedValue(list: unknown, types: string[], what: string): string | null | undefined {
  if (list === undefined) return undefined;
  if (list === null) return null;
  if (!Array.isArray(list)) throw ScimErrors.invalidValue(`${what} must be an array`);
  for (const el of list) {
    if (!isObject(el)) throw ScimErrors.invalidValue(`each of ${what} must be an object`);
    const type = get(el, 'type');
    if (typeof type === 'string' && types.includes(type.toLowerCase())) {
      const v = get(el, 'value');
      if (v === undefined || v === null || v === '') continue;
      if (typeof v !== 'string') throw ScimErrors.invalidValue(`${what}[type eq "${type}"].value must be a string`);
      return v.trim() || null;
    }
  }
  return null;
}

export function userFieldsOf(doc: Obj): UserFields {
  const userName = get(doc, 'userName');
  if (typeof userName !== 'string' || !userName.trim()) throw ScimErrors.invalidValue('userName is required (the e-mail address of the mailbox)');
  let displayName = optionalString(get(doc, 'displayName'), 'displayName');
  const name = get(doc, 'name');
  if (!displayName && isObject(name)) {
    const formatted = optionalString(get(name, 'formatted'), 'name.formatted');
    const given = optionalString(get(name, 'givenName'), 'name.givenName');
    const family = optionalString(get(name, 'familyName'), 'name.familyName');
    displayName = formatted || [given, family].filter(Boolean).join(' ') || displayName;
  }
  const active = get(doc, 'active');
  return {
    userName: userName.trim(),
    displayName: displayName === null ? '' : displayName,
    active: active === undefined || active === null ? undefined : readBoolean(active, 'active'),
    externalId: optionalString(get(doc, 'externalId'), 'externalId'),
    mobile: typedValue(get(doc, 'phoneNumbers'), ['mobile'], 'phoneNumbers'),
    alternateEmail: typedValue(get(doc, 'emails'), ['other', 'home'], 'emails'),
  };
}

export interface GroupFields {
  displayName: string;
  externalId: string | null | undefined;
  /** Mailbox ids; undefined when the document has no members attribute. */
  memberIds: string[] | undefined;
  /** The address a new group asks for (emails[0].value), if any. */
  address: string | undefined;
}

export function groupFieldsOf(doc: Obj): GroupFields {
  const displayName = get(doc, 'displayName');
  if (typeof displayName !== 'string' || !displayName.trim()) throw ScimErrors.invalidValue('displayName is required');
  const members = get(doc, 'members');
  let memberIds: string[] | undefined;
  if (members === null) memberIds = [];
  else if (members !== undefined) {
    if (!Array.isArray(members)) throw ScimErrors.invalidValue('members must be an array');
    memberIds = members.map((m, i) => {
      const v = isObject(m) ? get(m, 'value') : undefined;
      if (typeof v !== 'string' || !v) throw ScimErrors.invalidValue(`members[${i}].value must be a user id`);
      return v;
    });
    memberIds = [...new Set(memberIds)];
  }
  const emails = valuesAt(doc, ['emails', 'value']).filter((v): v is string => typeof v === 'string' && !!v.trim());
  return { displayName: displayName.trim(), externalId: optionalString(get(doc, 'externalId'), 'externalId'), memberIds, address: emails[0]?.trim() };
}

/** A local part made from a group's display name: "Sales Team (EU)" → "sales-team-eu". */
export function localPartFromName(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/g, '');
  return s || 'group';
}

export interface Paging {
  startIndex: number;
  count: number;
}

/** startIndex is 1-based (below 1 means 1); count is capped, negative means 0 (RFC 7644 §3.4.2.4). */
export function readPaging(query: Record<string, unknown>): Paging {
  const num = (name: string): number | undefined => {
    const k = keyOf(query, name);
    const raw = k === undefined ? undefined : query[k];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(Array.isArray(raw) ? raw[0] : raw);
    if (!Number.isInteger(n)) throw ScimErrors.invalidValue(`${name} must be an integer`);
    return n;
  };
  const startIndex = Math.max(1, num('startIndex') ?? 1);
  const count = Math.min(MAX_PAGE_SIZE, Math.max(0, num('count') ?? DEFAULT_PAGE_SIZE));
  return { startIndex, count };
}

export function listResponse(all: Obj[], paging: Paging): Obj {
  const page = all.slice(paging.startIndex - 1, paging.startIndex - 1 + paging.count);
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: all.length, startIndex: paging.startIndex, itemsPerPage: page.length, Resources: page };
}

/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5) on top-level
 * attributes; id and schemas are always returned.
 */
export function project(resource: Obj, attributes?: string, excludedAttributes?: string): Obj {
  const names = (s?: string) =>
    (s ?? '')
      .split(',')
      .map((a) => a.trim().toLowerCase())
      .filter(Boolean)
      .map((a) => a.replace(/^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/, '').split('.')[0]);
  const keep = names(attributes);
  const drop = names(excludedAttributes);
  const out: Obj = {};
  for (const [k, v] of Object.entries(resource)) {
    const lk = k.toLowerCase();
    if (lk === 'id' || lk === 'schemas') out[k] = v;
    else if (keep.length ? keep.includes(lk) : !drop.includes(lk)) out[k] = v;
  }
  return out;
}
