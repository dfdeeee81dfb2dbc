/**
 * The reconciliation report of one continuity event, per mailbox: what
 * arrived while the tenant was in continuity mode, what the replay delivered
 * to its Exchange, what was not sent again because the recipient already had
 * it, what failed (with the reason), and what employees sent and got copied
 * back. Built from plain rows by a pure function so the arithmetic is tested
 * without a database.
 */
export interface ReconciliationFailure {
  queueId: string;
  recipient: string;
  state: 'bounced' | 'expired';
  purpose: 'recipient' | 'copy-back';
  reason: string;
}

export interface MailboxReconciliation {
  /** The standby mailbox's address (or the envelope recipient when it names none, e.g. a group). */
  mailbox: string;
  receivedDuringEvent: number;
  /** Held recipients delivered to Exchange after release. */
  replayed: number;
  /** Not re-sent: held copies of a message the recipient already had, plus recipients of a held message delivered before the event. */
  duplicatesSuppressed: number;
  failed: number;
  failures: ReconciliationFailure[];
  sentDuringEvent: number;
  copiedBack: number;
  /** Still held, or released and not yet concluded (including copies back). */
  pending: number;
}

export interface ReconciliationTotals {
  receivedDuringEvent: number;
  replayed: number;
  duplicatesSuppressed: number;
  failed: number;
  sentDuringEvent: number;
  copiedBack: number;
  pending: number;
}

export interface ReconciliationReport {
  tenantId: string;
  eventId: string;
  activationTransitionId: string | null;
  endTransitionId: string | null;
  startedAt: string;
  recoveryStartedAt: string | null;
  endedAt: string | null;
  generatedAt: string;
  /** Every held recipient and every copy back has an outcome: delivered, suppressed as a duplicate, or failed with a reason. */
  allAccountedFor: boolean;
  /** …and none failed. */
  allDelivered: boolean;
  totals: ReconciliationTotals;
  mailboxes: MailboxReconciliation[];
}

/** One delivery row of the event (held recipient or copy back), with the mailbox it belongs to. */
export interface EventDeliveryRow {
  mailbox: string;
  recipient: string;
  queueId: string;
  state: string;
  purpose: 'recipient' | 'copy-back';
  lastReply: string | null;
  releasedAt: Date | null;
}

export interface ReportInputs {
  tenantId: string;
  event: { id: string; activationTransitionId: string | null; endTransitionId: string | null; startedAt: Date; recoveryStartedAt: Date | null; endedAt: Date | null };
  generatedAt: Date;
  receivedByMailbox: Array<{ mailbox: string; n: number }>;
  sentByMailbox: Array<{ mailbox: string; n: number }>;
  /** Recipients of held messages who had them delivered before the event began. */
  deliveredBeforeByMailbox: Array<{ mailbox: string; n: number }>;
  deliveries: EventDeliveryRow[];
}

const PENDING = new Set(['held', 'queued', 'deferred']);

export function buildReconciliationReport(i: ReportInputs): ReconciliationReport {
  const byMailbox = new Map<string, MailboxReconciliation>();
  const entry = (mailbox: string): MailboxReconciliation => {
    let e = byMailbox.get(mailbox);
    if (!e) {
      e = { mailbox, receivedDuringEvent: 0, replayed: 0, duplicatesSuppressed: 0, failed: 0, failures: [], sentDuringEvent: 0, copiedBack: 0, pending: 0 };
      byMailbox.set(mailbox, e);
    }
    return e;
  };
  for (const r of i.receivedByMailbox) entry(r.mailbox).receivedDuringEvent += r.n;
  for (const r of i.sentByMailbox) entry(r.mailbox).sentDuringEvent += r.n;
  for (const r of i.deliveredBeforeByMailbox) entry(r.mailbox).duplicatesSuppressed += r.n;
  for (const d of i.deliveries) {
    const e = entry(d.mailbox);
    if (PENDING.has(d.state)) e.pending++;
    else if (d.state === 'delivered') {
      if (d.purpose === 'copy-back') e.copiedBack++;
      else e.replayed++;
    } else if (d.state === 'suppressed') e.duplicatesSuppressed++;
    else if (d.state === 'bounced' || d.state === 'expired') {
      e.failed++;
      e.failures.push({ queueId: d.queueId, recipient: d.recipient, state: d.state, purpose: d.purpose, reason: d.lastReply ?? '(no reply recorded)' });
    }
  }
  const mailboxes = [...byMailbox.values()].sort((a, b) => a.mailbox.localeCompare(b.mailbox));
  const totals: ReconciliationTotals = { receivedDuringEvent: 0, replayed: 0, duplicatesSuppressed: 0, failed: 0, sentDuringEvent: 0, copiedBack: 0, pending: 0 };
  for (const m of mailboxes) for (const k of Object.keys(totals) as Array<keyof ReconciliationTotals>) totals[k] += m[k];
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    tenantId: i.tenantId,
    eventId: i.event.id,
    activationTransitionId: i.event.activationTransitionId,
    endTransitionId: i.event.endTransitionId,
    startedAt: new Date(i.event.startedAt).toISOString(),
    recoveryStartedAt: iso(i.event.recoveryStartedAt),
    endedAt: iso(i.event.endedAt),
    generatedAt: i.generatedAt.toISOString(),
    allAccountedFor: totals.pending === 0,
    allDelivered: totals.pending === 0 && totals.failed === 0,
    totals,
    mailboxes,
  };
}

/** The operator's view: one line per mailbox, then the failures with their reasons. */
export function reportLines(r: ReconciliationReport, table: (header: string[], rows: Array<Array<string | number>>) => string[]): string[] {
  const head = [
    `continuity event ${r.eventId}: ${r.startedAt} → ${r.endedAt ?? 'still open'}`,
    r.allDelivered
      ? 'every message held during the event reached Exchange; nothing is missing'
      : r.allAccountedFor
        ? `every held message has an outcome; ${r.totals.failed} failed (reasons below)`
        : `${r.totals.pending} deliveries still pending (held or being replayed)`,
  ];
  const cols = ['mailbox', 'received', 'replayed', 'dup. suppressed', 'failed', 'sent', 'copied back', 'pending'];
  const row = (m: MailboxReconciliation | (ReconciliationTotals & { mailbox: string })) => [m.mailbox, m.receivedDuringEvent, m.replayed, m.duplicatesSuppressed, m.failed, m.sentDuringEvent, m.copiedBack, m.pending];
  const lines = [...head, '', ...table(cols, [...r.mailboxes.map(row), row({ mailbox: 'TOTAL', ...r.totals })])];
  const failures = r.mailboxes.flatMap((m) => m.failures.map((f) => ({ ...f, mailbox: m.mailbox })));
  if (failures.length) {
    lines.push('', 'failed:');
    for (const f of failures) lines.push(`  ${f.mailbox}  ${f.queueId}  ${f.recipient}  ${f.state}${f.purpose === 'copy-back' ? ' (copy back)' : ''}: ${f.reason}`);
  }
  return lines;
}
