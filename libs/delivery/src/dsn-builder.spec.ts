import { buildDsn, headerSection } from './dsn-builder';

const original = Buffer.from('Received: from x\r\nFrom: a@ext.test\r\nSubject: Grüße\r\nMessage-ID: <m1@ext.test>\r\n\r\nbody\r\n');

function build(overrides: Partial<Parameters<typeof buildDsn>[0]> = {}) {
  return buildDsn({
    reportingMta: 'mx.test',
    originalQueueId: 'ABCDEF0123',
    originalMailFrom: 'a@ext.test',
    arrivalDate: new Date('2025-01-01T10:00:00Z'),
    now: new Date('2025-01-01T11:00:00Z'),
    boundary: 'BOUNDARY1',
    messageId: '<dsn1@mx.test>',
    originalHeaders: original,
    recipients: [
      { recipient: 'c@t.test', reason: 'bounced', status: '5.1.1', remoteMta: '127.0.0.1:2526', smtpDiagnostic: '550 5.1.1 <c@t.test>: User unknown', explanation: '550 5.1.1 <c@t.test>: User unknown', lastAttemptAt: new Date('2025-01-01T10:59:00Z') },
    ],
    ...overrides,
  });
}

describe('buildDsn', () => {
  it('is an RFC 3464 multipart/report with the three parts', () => {
    const text = build().raw.toString('utf8');
    expect(text).toMatch(/^From: Mail Delivery System <MAILER-DAEMON@mx\.test>\r\n/);
    expect(text).toContain('To: <a@ext.test>\r\n');
    expect(text).toContain('Content-Type: multipart/report; report-type=delivery-status;\r\n boundary="BOUNDARY1"');
    expect(text).toContain('Auto-Submitted: auto-replied');
    expect(text).toContain('--BOUNDARY1\r\nContent-Type: text/plain');
    expect(text).toContain('--BOUNDARY1\r\nContent-Type: message/delivery-status');
    expect(text).toContain('Reporting-MTA: dns; mx.test\r\n');
    expect(text).toContain('Arrival-Date: Wed, 01 Jan 2025 10:00:00 +0000\r\n');
    expect(text).toContain('Final-Recipient: rfc822; c@t.test\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; 127.0.0.1:2526\r\nDiagnostic-Code: smtp; 550 5.1.1 <c@t.test>: User unknown\r\n');
    expect(text).toContain('Content-Type: text/rfc822-headers');
    expect(text).toContain('Message-ID: <m1@ext.test>\r\n');
    expect(text).not.toContain('body\r\n--');
    expect(text.endsWith('--BOUNDARY1--\r\n')).toBe(true);
    expect(text.includes('\n') && !/[^\r]\n/.test(text)).toBe(true);
  });
  it('marks itself 8-bit when the original headers are', () => {
    expect(build().eightBit).toBe(true);
    expect(build({ originalHeaders: Buffer.from('Subject: hi\r\n\r\nx') }).eightBit).toBe(false);
  });
  it('reports an expiry without an SMTP reply', () => {
    const text = build({ recipients: [{ recipient: 'c@t.test', reason: 'expired', status: '4.4.7', remoteMta: null, smtpDiagnostic: null, explanation: 'ECONNREFUSED: connect failed', lastAttemptAt: null }] }).raw.toString();
    expect(text).toContain('Status: 4.4.7');
    expect(text).toContain('X-Continuity-Diagnostic: ECONNREFUSED: connect failed');
    expect(text).not.toContain('Diagnostic-Code');
    expect(text).toContain('delivery time expired');
  });
  it('never addresses the null sender and keeps replies on one line', () => {
    expect(() => build({ originalMailFrom: '' })).toThrow();
    const text = build({ recipients: [{ recipient: 'c@t.test', reason: 'bounced', status: '5.0.0', remoteMta: null, smtpDiagnostic: '550 a\r\nInjected: yes', explanation: 'x', lastAttemptAt: null }] }).raw.toString();
    expect(text).not.toMatch(/^Injected:/m);
  });
});

describe('headerSection', () => {
  it('stops at the first empty line and canonicalises line ends', () => {
    expect(headerSection(Buffer.from('A: 1\nB: 2\n\nbody')).toString()).toBe('A: 1\r\nB: 2\r\n');
    expect(headerSection(Buffer.from('A: 1\r\n\r\nbody')).toString()).toBe('A: 1\r\n');
    expect(headerSection(Buffer.from('\r\nbody')).length).toBe(0);
  });
});
