/**
 * Each tenant has one journaling address, `journal+<tenant slug>@<journal
 * domain>` (JOURNAL_DOMAIN, by default the MX host name): the address a
 * tenant's Exchange journal rule sends its reports to. Reports are taken only
 * from that tenant's own connector, so knowing the address is not enough.
 */
export function journalAddress(tenantSlug: string, journalDomain: string): string {
  return `journal+${tenantSlug}@${journalDomain.toLowerCase()}`;
}

/** The tenant slug named by a journaling address, or null if the address is not one. */
export function journalSlugOf(local: string, domain: string, journalDomain: string): string | null {
  if (domain.toLowerCase() !== journalDomain.toLowerCase()) return null;
  const m = /^journal\+([a-z0-9][a-z0-9-]*)$/i.exec(local);
  return m ? m[1].toLowerCase() : null;
}
