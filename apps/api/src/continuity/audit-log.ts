/**
 * One audit log for a tenant from two sources: the continuity transitions
 * (every change of mode, including those the policy made on its own) and the
 * admin audit log (every request an admin or API key made). Pure helpers:
 * the shape of an entry, the merge of two newest-first pages, and the CSV.
 */

export interface AuditEntry {
  at: Date;
  /** 'continuity': a change of mode (or a confirmation request) as committed; 'admin': a request made through the admin API. */
  source: 'continuity' | 'admin';
  action: string;
  actor: string;
  target: string | null;
  reason: string | null;
  details: Record<string, unknown>;
}

export interface TransitionLike {
  id: string;
  fromMode: string;
  toMode: string;
  event: string;
  actor: string;
  reason: string;
  drillMailboxIds: string[] | null;
  createdAt: Date;
}

export function transitionEntry(t: TransitionLike): AuditEntry {
  return {
    at: t.createdAt,
    source: 'continuity',
    action: `continuity.${t.event}`,
    actor: t.actor,
    target: `transition:${t.id}`,
    reason: t.reason || null,
    details: { transitionId: t.id, fromMode: t.fromMode, toMode: t.toMode, ...(t.drillMailboxIds ? { drillMailboxIds: t.drillMailboxIds } : {}) },
  };
}

/**
 * The page [offset, offset + limit) of the newest-first merge of two
 * newest-first lists, each of which holds at least its first offset + limit
 * entries (or all it has). Ties keep continuity entries first.
 */
export function mergeNewestFirst(a: AuditEntry[], b: AuditEntry[], offset: number, limit: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  let i = 0;
  let j = 0;
  while (out.length < offset + limit && (i < a.length || j < b.length)) {
    if (j >= b.length || (i < a.length && a[i].at.getTime() >= b[j].at.getTime())) out.push(a[i++]);
    else out.push(b[j++]);
  }
  return out.slice(offset);
}

export const AUDIT_CSV_COLUMNS = ['at', 'source', 'action', 'actor', 'target', 'reason', 'details'] as const;

/**
 * One CSV field (RFC 4180). A value a spreadsheet would run as a formula
 * (starting with = + - @ or a control character) is prefixed with a quote:
 * reasons and names are typed by people and must not execute on export.
 */
export function csvField(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function auditCsv(entries: AuditEntry[]): string {
  const lines = [AUDIT_CSV_COLUMNS.join(',')];
  for (const e of entries) {
    lines.push([e.at.toISOString(), e.source, e.action, e.actor, e.target ?? '', e.reason ?? '', JSON.stringify(e.details)].map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
