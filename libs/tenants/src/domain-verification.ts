import type { Resolver } from 'node:dns/promises';
import { newResolver } from '@app/dns';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/** Prefix of the TXT record a customer publishes on a domain to prove they control it. */
export const VERIFICATION_PREFIX = 'continuity-verification=';

/** Port to DNS: the TXT records of a name, each as its character-strings. */
export interface TxtLookup {
  /** Resolves to `[]` when the name has no TXT records or does not exist; rejects only when DNS itself failed. */
  resolveTxt(name: string): Promise<string[][]>;
}
export const TXT_LOOKUP = Symbol('TXT_LOOKUP');

/** The system resolver (or the servers given), through node:dns. */
export class NodeDnsTxtLookup implements TxtLookup {
  private readonly resolver: Resolver;

  constructor(servers?: string[], timeoutMs = 5000) {
    this.resolver = newResolver({ timeoutMs });
    if (servers?.length) this.resolver.setServers(servers);
  }

  async resolveTxt(name: string): Promise<string[][]> {
    try {
      return await this.resolver.resolveTxt(name);
    } catch (e) {
      // "No such name" and "no TXT records" are answers, not failures.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
      throw e;
    }
  }
}

export type DomainCheck = { ok: true; name: string } | { ok: false; reason: string };

/**
 * The canonical form we store and match on: lower-case ASCII (IDNs in their
 * xn-- form), no trailing dot. Refuses what cannot be a mail domain: IP
 * literals, single labels, bad label syntax, over-long names.
 */
export function normalizeDomainName(input: string): DomainCheck {
  let name = input.trim();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (!name) return { ok: false, reason: 'it is empty' };
  if (name.startsWith('[') || isIP(name)) return { ok: false, reason: 'IP literals cannot be mail domains here' };
  if (/[^\x21-\x7e]/.test(name)) {
    const ascii = domainToASCII(name);
    if (!ascii) return { ok: false, reason: 'it is not a valid internationalised name' };
    name = ascii;
  }
  name = name.toLowerCase();
  if (name.length > 253) return { ok: false, reason: 'it is longer than 253 characters' };
  const labels = name.split('.');
  if (labels.length < 2) return { ok: false, reason: 'it needs at least two labels (e.g. example.com)' };
  for (const label of labels) {
    if (!label) return { ok: false, reason: 'it has an empty label' };
    if (label.length > 63) return { ok: false, reason: `label "${label}" is longer than 63 characters` };
    if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(label)) return { ok: false, reason: `label "${label}" may hold only letters, digits and inner hyphens` };
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return { ok: false, reason: 'the top-level label cannot be numeric' };
  return { ok: true, name };
}

/** The exact TXT value to publish for a token. */
export function verificationRecordValue(token: string): string {
  return `${VERIFICATION_PREFIX}${token}`;
}

/**
 * True when one of the records is exactly our value. A long TXT record may be
 * split into several character-strings; they are joined before comparing.
 */
export function hasVerificationRecord(records: string[][], token: string): boolean {
  const expected = verificationRecordValue(token);
  return records.some((chunks) => chunks.join('').trim() === expected);
}
