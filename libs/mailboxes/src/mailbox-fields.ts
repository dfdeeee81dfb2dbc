import { normalizeDomainName } from '@app/tenants/domain-verification';

/**
 * Field rules for directory entries, as pure functions: the service, the CSV
 * import and (later) the admin API apply the same ones.
 */
export type FieldCheck<T> = { ok: true; value: T } | { ok: false; code: string; reason: string };

const ok = <T>(value: T): FieldCheck<T> => ({ ok: true, value });
const fail = (code: string, reason: string): FieldCheck<never> => ({ ok: false, code, reason });

// RFC 5321 dot-atom without '%' and '!': they are the routing characters of
// old relay hacks, and no mailbox of ours needs them.
const LOCAL_PART = /^[a-z0-9#$&'*+/=?^_`{|}~-]+(?:\.[a-z0-9#$&'*+/=?^_`{|}~-]+)*$/;
const LOCAL_PART_ANY_CASE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

export interface ParsedAddress {
  address: string;
  local: string;
  domain: string;
}

/** A tenant address (mailbox, alias, group) in the lower-case form the directory stores. */
export function normalizeTenantAddress(input: string): FieldCheck<ParsedAddress> {
  const raw = (input ?? '').trim();
  const at = raw.lastIndexOf('@');
  if (at <= 0 || at === raw.length - 1) return fail('address_invalid', `"${raw}" is not an e-mail address (local@domain)`);
  const local = raw.slice(0, at).toLowerCase();
  if (local.length > 64) return fail('address_invalid', `"${raw}": the part before @ is longer than 64 characters`);
  if (!LOCAL_PART.test(local)) return fail('address_invalid', `"${raw}": the part before @ may hold letters, digits, dots (not leading, trailing or doubled) and ${"#$&'*+/=?^_`{|}~-"}`);
  const d = normalizeDomainName(raw.slice(at + 1));
  if (!d.ok) return fail('address_invalid', `"${raw}": ${d.reason}`);
  return ok({ address: `${local}@${d.name}`, local, domain: d.name });
}

/** Empty means "none". Spaces, hyphens, dots, slashes and parentheses are dropped; the rest must be E.164. */
export function normalizeMobile(input: string | null | undefined): FieldCheck<string | null> {
  const raw = (input ?? '').trim();
  if (!raw) return ok(null);
  const compact = raw.replace(/[\s\-./()]/g, '');
  if (!/^\+[1-9][0-9]{6,14}$/.test(compact)) return fail('mobile_invalid', `mobile "${raw}" is not in E.164 form (a + then country code and number, e.g. +4915112345678)`);
  return ok(compact);
}

/**
 * Empty means "none". It must be an address outside the tenant's own domains:
 * it is where credentials go when the tenant's Exchange is down.
 */
export function normalizeAlternateEmail(input: string | null | undefined, tenantDomains: ReadonlySet<string>): FieldCheck<string | null> {
  const raw = (input ?? '').trim();
  if (!raw) return ok(null);
  const at = raw.lastIndexOf('@');
  const local = raw.slice(0, at);
  if (at <= 0 || local.length > 64 || !LOCAL_PART_ANY_CASE.test(local)) return fail('alternate_email_invalid', `alternate e-mail "${raw}" is not an e-mail address`);
  const d = normalizeDomainName(raw.slice(at + 1));
  if (!d.ok) return fail('alternate_email_invalid', `alternate e-mail "${raw}": ${d.reason}`);
  if (tenantDomains.has(d.name)) return fail('alternate_email_invalid', `alternate e-mail "${raw}" is in the tenant's own domain; it must reach the employee while their Exchange is down`);
  return ok(`${local}@${d.name}`);
}

export function normalizeDisplayName(input: string | null | undefined): FieldCheck<string> {
  const value = (input ?? '').trim();
  if (value.length > 200) return fail('display_name_invalid', 'display name is longer than 200 characters');
  // A line break in a name would become a header break wherever it is written into mail.
  if (/[\x00-\x1f\x7f]/.test(value)) return fail('display_name_invalid', 'display name contains control characters (line breaks, tabs, NUL)');
  return ok(value);
}

/**
 * Cells a spreadsheet would evaluate as a formula if this value were ever
 * exported back to CSV. We store it as text (nothing here evaluates it) and
 * warn, so the operator can check the source file.
 */
export function looksLikeFormula(value: string): boolean {
  return /^[=+\-@\t\r]/.test(value);
}
