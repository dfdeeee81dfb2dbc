import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import { MailboxesError, MailboxesErrors } from './mailboxes.errors';
import { looksLikeFormula, normalizeAlternateEmail, normalizeDisplayName, normalizeMobile, normalizeTenantAddress } from './mailbox-fields';

/**
 * Mailbox import files: a header row naming the columns, then one mailbox per
 * row. `aliases` and `groups` hold addresses separated by semicolons.
 *
 *   address,display_name,mobile,alternate_email,aliases,groups
 *   alice@demo.example,Alice Smith,+4915112345678,alice@private.example,a.smith@demo.example,all@demo.example
 */
export const REQUIRED_COLUMNS = ['address', 'display_name', 'mobile', 'alternate_email'] as const;
export const OPTIONAL_COLUMNS = ['aliases', 'groups'] as const;
export type MailboxCsvColumn = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

/** One record longer than this is refused: no legitimate row comes near it. */
export const MAX_RECORD_BYTES = 64 * 1024;

/** A data row as read, keyed by column; `row` is its line in the file (the header is line 1). */
export interface MailboxCsvRecord {
  row: number;
  fields: Partial<Record<MailboxCsvColumn, string>>;
}
export interface MailboxCsvRowError {
  row: number;
  code: string;
  reason: string;
}
export type MailboxCsvItem = ({ kind: 'record' } & MailboxCsvRecord) | ({ kind: 'error' } & MailboxCsvRowError);

/** A row that passed every check that needs no database. */
export interface MailboxRowValue {
  address: string;
  displayName: string;
  mobileE164: string | null;
  alternateEmail: string | null;
  aliases: string[];
  groups: string[];
}
export type MailboxRowCheck = { ok: true; value: MailboxRowValue; warnings: string[] } | { ok: false; code: string; reason: string };

/** Maps header cells to known columns, or says what is wrong with the header. */
export function readHeader(cells: string[]): MailboxCsvColumn[] {
  const names = cells.map((c) => c.trim().toLowerCase());
  const known = new Set<string>([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) throw MailboxesErrors.csvHeaderInvalid(`unknown column(s) ${unknown.map((u) => `"${u}"`).join(', ')}; expected ${[...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS].join(',')}`);
  const missing = REQUIRED_COLUMNS.filter((r) => !names.includes(r));
  if (missing.length) throw MailboxesErrors.csvHeaderInvalid(`missing column(s) ${missing.join(', ')}; the first row must name the columns: ${REQUIRED_COLUMNS.join(',')}[,aliases][,groups]`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw MailboxesErrors.csvHeaderInvalid(`column "${dup}" appears twice`);
  return names as MailboxCsvColumn[];
}

/**
 * Streams records out of a CSV file without holding it in memory. Handles a
 * UTF-8 BOM, CRLF or LF, quoted fields with commas and line breaks. A row
 * the parser cannot read, or with the wrong number of cells, comes out as an
 * error item and reading goes on; a bad header stops the import.
 */
export async function* readMailboxCsv(input: Readable): AsyncGenerator<MailboxCsvItem> {
  const skipped: MailboxCsvRowError[] = [];
  let lastSkippedRow = -1;
  const parser = input.pipe(
    parse({
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: MAX_RECORD_BYTES,
      on_skip: (err) => {
        const row = (err as { lines?: number } | undefined)?.lines ?? 0;
        // The parser may complain more than once about one broken line; report the line once.
        if (err && !(lastSkippedRow === row && row > 0)) skipped.push({ row, code: 'csv_row_unreadable', reason: err.message });
        lastSkippedRow = row;
        return undefined;
      },
    }),
  );
  input.on('error', (e) => parser.destroy(e));
  let header: MailboxCsvColumn[] | null = null;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      while (skipped.length) yield { kind: 'error', ...(skipped.shift() as MailboxCsvRowError) };
      if (!header) {
        header = readHeader(record);
        continue;
      }
      if (record.length !== header.length) {
        yield { kind: 'error', row: info.lines, code: 'csv_column_count', reason: `has ${record.length} cells, the header names ${header.length}` };
        continue;
      }
      const fields: MailboxCsvRecord['fields'] = {};
      header.forEach((col, i) => (fields[col] = unguardCell(record[i])));
      yield { kind: 'record', row: info.lines, fields };
    }
  } catch (e) {
    if (e instanceof MailboxesError) throw e;
    throw MailboxesErrors.csvUnreadable(e instanceof Error ? e.message : String(e));
  }
  while (skipped.length) yield { kind: 'error', ...(skipped.shift() as MailboxCsvRowError) };
  if (!header) throw MailboxesErrors.csvHeaderInvalid(`the file is empty; the first row must name the columns: ${REQUIRED_COLUMNS.join(',')}[,aliases][,groups]`);
}

/**
 * Export side of CSV injection: a cell a spreadsheet would run as a formula
 * (= + - @, or a leading tab or CR) is written with a leading apostrophe, which
 * spreadsheets show as text. `unguardCell` undoes it on import, so an exported
 * file (mobile numbers start with +) imports again unchanged.
 */
export function guardCell(value: string): string {
  return looksLikeFormula(value) ? `'${value}` : value;
}

export function unguardCell(value: string): string {
  return /^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value;
}

/** One CSV line (RFC 4180 quoting, CRLF), every cell guarded. */
export function csvLine(cells: string[]): string {
  return (
    cells
      .map(guardCell)
      .map((c) => (/[",\r\n]/.test(c) || c !== c.trim() ? `"${c.replace(/"/g, '""')}"` : c))
      .join(',') + '\r\n'
  );
}

function splitList(cell: string | undefined): string[] {
  return (cell ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Checks one record against the field rules and the tenant's domains. */
export function checkMailboxRow(fields: MailboxCsvRecord['fields'], tenantDomains: ReadonlySet<string>): MailboxRowCheck {
  const inTenant = (raw: string, what: string): { ok: true; address: string } | { ok: false; code: string; reason: string } => {
    const a = normalizeTenantAddress(raw);
    if (!a.ok) return { ok: false, code: a.code, reason: `${what}: ${a.reason}` };
    if (!tenantDomains.has(a.value.domain)) return { ok: false, code: 'address_outside_tenant', reason: `${what} ${a.value.address}: domain ${a.value.domain} is not one of this tenant's domains` };
    return { ok: true, address: a.value.address };
  };

  const address = inTenant(fields.address ?? '', 'address');
  if (!address.ok) return address;
  const name = normalizeDisplayName(fields.display_name);
  if (!name.ok) return name;
  const mobile = normalizeMobile(fields.mobile);
  if (!mobile.ok) return mobile;
  const alt = normalizeAlternateEmail(fields.alternate_email, tenantDomains);
  if (!alt.ok) return alt;

  const aliases: string[] = [];
  for (const raw of splitList(fields.aliases)) {
    const a = inTenant(raw, 'alias');
    if (!a.ok) return a;
    if (a.address === address.address) return { ok: false, code: 'alias_invalid', reason: `alias ${a.address} is the mailbox's own address` };
    if (!aliases.includes(a.address)) aliases.push(a.address);
  }
  const groups: string[] = [];
  for (const raw of splitList(fields.groups)) {
    const g = inTenant(raw, 'group');
    if (!g.ok) return g;
    if (!groups.includes(g.address)) groups.push(g.address);
  }
  const overlap = aliases.find((a) => groups.includes(a));
  if (overlap) return { ok: false, code: 'address_taken', reason: `${overlap} is listed both as an alias and as a group` };

  const warnings: string[] = [];
  if (looksLikeFormula(name.value)) warnings.push(`display name "${name.value}" starts like a spreadsheet formula; stored as plain text`);
  return { ok: true, value: { address: address.address, displayName: name.value, mobileE164: mobile.value, alternateEmail: alt.value, aliases, groups }, warnings };
}
