import { buildReconciliationReport, EventDeliveryRow, reportLines, ReportInputs } from './reconciliation-report';

const event = { id: 'ev1', activationTransitionId: 'tr1', endTransitionId: 'tr3', startedAt: new Date('2026-01-01T10:00:00Z'), recoveryStartedAt: new Date('2026-01-01T12:00:00Z'), endedAt: new Date('2026-01-01T12:05:00Z') };
const row = (mailbox: string, state: string, purpose: 'recipient' | 'copy-back' = 'recipient', lastReply: string | null = null): EventDeliveryRow => ({ mailbox, recipient: mailbox, queueId: 'Q1', state, purpose, lastReply, releasedAt: null });
const base: ReportInputs = { tenantId: 't', event, generatedAt: new Date('2026-01-01T12:06:00Z'), receivedByMailbox: [], sentByMailbox: [], deliveredBeforeByMailbox: [], deliveries: [] };

describe('buildReconciliationReport', () => {
  it('counts each outcome per mailbox and in total', () => {
    const r = buildReconciliationReport({
      ...base,
      receivedByMailbox: [{ mailbox: 'ann@x', n: 3 }, { mailbox: 'bob@x', n: 1 }],
      sentByMailbox: [{ mailbox: 'ann@x', n: 2 }],
      deliveredBeforeByMailbox: [{ mailbox: 'bob@x', n: 1 }],
      deliveries: [row('ann@x', 'delivered'), row('ann@x', 'delivered'), row('ann@x', 'suppressed'), row('ann@x', 'delivered', 'copy-back'), row('ann@x', 'delivered', 'copy-back'), row('bob@x', 'bounced', 'recipient', '550 5.1.1 no such user')],
    });
    const ann = r.mailboxes.find((m) => m.mailbox === 'ann@x')!;
    expect(ann).toMatchObject({ receivedDuringEvent: 3, replayed: 2, duplicatesSuppressed: 1, failed: 0, sentDuringEvent: 2, copiedBack: 2, pending: 0 });
    const bob = r.mailboxes.find((m) => m.mailbox === 'bob@x')!;
    expect(bob).toMatchObject({ receivedDuringEvent: 1, replayed: 0, duplicatesSuppressed: 1, failed: 1 });
    expect(bob.failures[0]).toMatchObject({ state: 'bounced', reason: '550 5.1.1 no such user' });
    expect(r.totals).toEqual({ receivedDuringEvent: 4, replayed: 2, duplicatesSuppressed: 2, failed: 1, sentDuringEvent: 2, copiedBack: 2, pending: 0 });
    expect(r.allAccountedFor).toBe(true);
    expect(r.allDelivered).toBe(false);
  });

  it('is not complete while anything is held or being replayed', () => {
    const r = buildReconciliationReport({ ...base, deliveries: [row('ann@x', 'held'), row('ann@x', 'queued'), row('ann@x', 'deferred', 'copy-back'), row('ann@x', 'delivered')] });
    expect(r.totals.pending).toBe(3);
    expect(r.allAccountedFor).toBe(false);
    expect(r.allDelivered).toBe(false);
  });

  it('says plainly when everything arrived', () => {
    const r = buildReconciliationReport({ ...base, receivedByMailbox: [{ mailbox: 'ann@x', n: 1 }], deliveries: [row('ann@x', 'delivered')] });
    expect(r.allDelivered).toBe(true);
    const text = reportLines(r, (h, rows) => [h.join('|'), ...rows.map((x) => x.join('|'))]).join('\n');
    expect(text).toContain('nothing is missing');
    expect(text).toContain('ann@x|1|1|0|0|0|0|0');
    expect(text).toContain('TOTAL|1|1|0|0|0|0|0');
  });

  it('lists failures with their reasons', () => {
    const r = buildReconciliationReport({ ...base, deliveries: [row('ann@x', 'expired', 'copy-back', '421 4.3.2 busy')] });
    const text = reportLines(r, (h, rows) => rows.map((x) => x.join('|'))).join('\n');
    expect(text).toContain('expired (copy back): 421 4.3.2 busy');
  });
});
