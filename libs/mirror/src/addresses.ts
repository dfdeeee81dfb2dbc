import { AddressValue } from '@app/messages';
import { cleanLine } from './text-limits';

/** What MailParser gives for an address header: one object or one per header line. */
export interface ParsedAddressHeader { value: ParsedAddress[] }
export interface ParsedAddress { name?: string; address?: string; group?: ParsedAddress[] }

export const MAX_ADDRESSES_PER_HEADER = 200;
const MAX_NAME_CHARS = 256;
const MAX_ADDRESS_CHARS = 320;

/**
 * Flattens an address header (groups included) into `{name, address}` pairs:
 * addresses trimmed with the domain lower-cased (the local part is the
 * recipient's business), names cleaned to one line, entries without an
 * address dropped, duplicates removed, the list bounded.
 */
export function normaliseAddresses(header: ParsedAddressHeader | ParsedAddressHeader[] | null | undefined, max = MAX_ADDRESSES_PER_HEADER): AddressValue[] {
  if (!header) return [];
  const out: AddressValue[] = [];
  const seen = new Set<string>();
  const visit = (list: ParsedAddress[] | undefined, depth: number): void => {
    for (const a of list ?? []) {
      if (out.length >= max) return;
      if (a.group && depth < 2) {
        visit(a.group, depth + 1);
        continue;
      }
      const address = normaliseAddress(a.address);
      if (!address) continue;
      const key = address.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ name: cleanLine(a.name ?? '', MAX_NAME_CHARS) ?? '', address });
    }
  };
  for (const h of Array.isArray(header) ? header : [header]) visit(h?.value, 0);
  return out;
}

export function normaliseAddress(raw: string | null | undefined): string | null {
  const a = cleanLine(raw ?? '', MAX_ADDRESS_CHARS)?.replace(/^<|>$/g, '').trim();
  if (!a) return null;
  const at = a.lastIndexOf('@');
  if (at <= 0 || at === a.length - 1) return a;
  return a.slice(0, at) + '@' + a.slice(at + 1).toLowerCase();
}

/** Words for the search index: addresses, their local parts and domains, for the 'simple' configuration. */
export function addressSearchText(lists: AddressValue[][]): { addresses: string; names: string } {
  const addresses: string[] = [];
  const names: string[] = [];
  for (const list of lists) {
    for (const a of list) {
      const at = a.address.lastIndexOf('@');
      addresses.push(a.address, at > 0 ? `${a.address.slice(0, at)} ${a.address.slice(at + 1)}` : '');
      if (a.name) names.push(a.name);
    }
  }
  return { addresses: addresses.join(' '), names: names.join(' ') };
}
