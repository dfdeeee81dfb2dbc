import { parseHeaderBlock, readJournalReport } from './journal-report-reader';

const original = [
  'From: Alice <alice@contoso.example>',
  'To: Bob <bob@contoso.example>',
  'Subject: Lunch',
  'Message-ID: <lunch-1@contoso.example>',
  'Content-Type: multipart/alternative; boundary="inner"',
  '',
  '--inner',
  'Content-Type: text/plain',
  '',
  'At noon?',
  '--inner--',
  '',
].join('\r\n');

function report(opts: { envelope?: string; originalPart?: string; close?: boolean; type?: string } = {}): string {
  const env = opts.envelope ?? 'Sender: alice@contoso.example\r\nSubject: Lunch\r\nMessage-Id: <lunch-1@contoso.example>\r\nTo: bob@contoso.example\r\n';
  return [
    'Received: from x by y; Tue, 25 Nov 2026 16:41:37 +0000',
    'From: Journaling <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.example>',
    'X-MS-Journal-Report: ',
    `Content-Type: ${opts.type ?? 'multipart/mixed;\r\n\tboundary="_journal_"'}`,
    'MIME-Version: 1.0',
    '',
    'This is a multi-part message in MIME format.',
    '--_journal_',
    'Content-Type: text/plain; charset="us-ascii"',
    'Content-Transfer-Encoding: 7bit',
    '',
    env,
    '--_journal_',
    'Content-Type: message/rfc822',
    '',
    opts.originalPart ?? original,
    opts.close === false ? '' : '--_journal_--',
    '',
  ].join('\r\n');
}

async function run(raw: string | Buffer, chunkSize = 7) {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1');
  async function* chunks() {
    for (let i = 0; i < buf.length; i += chunkSize) yield buf.subarray(i, i + chunkSize);
  }
  const out: Buffer[] = [];
  const result = await readJournalReport(chunks(), async (b) => {
    out.push(Buffer.from(b));
  });
  return { result, original: Buffer.concat(out).toString('latin1') };
}

describe('readJournalReport', () => {
  it.each([1, 7, 64, 100000])('extracts the original byte for byte and reads the envelope (chunks of %d bytes)', async (size) => {
    const { result, original: got } = await run(report(), size);
    expect(result).toEqual({ ok: true, originalBytes: Buffer.byteLength(original), envelope: expect.objectContaining({ sender: 'alice@contoso.example', recipients: ['bob@contoso.example'], messageId: '<lunch-1@contoso.example>' }) });
    // the CRLF before the closing delimiter belongs to the delimiter, not to the original
    expect(got).toBe(original);
  });

  it('passes very long lines through without buffering them and without mistaking them for delimiters', async () => {
    const long = 'x'.repeat(50_000) + '--_journal_--' + 'y'.repeat(10_000);
    const orig = `Subject: long\r\n\r\n${long}\r\nend\r\n`;
    const { result, original: got } = await run(report({ originalPart: orig }), 1000);
    expect(result.ok).toBe(true);
    expect(got).toBe(orig);
  });

  it('decodes an original sent in base64 and an envelope in quoted-printable', async () => {
    const b64 = Buffer.from(original).toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw = report({ originalPart: b64, envelope: 'Sender: alice@contoso.example\r\nSubject: =C3=9Cber=\r\nsicht\r\nTo: bob@contoso.example\r\n' })
      .replace('Content-Type: message/rfc822\r\n', 'Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n')
      .replace('Content-Transfer-Encoding: 7bit', 'Content-Transfer-Encoding: quoted-printable')
      .replace('charset="us-ascii"', 'charset=utf-8');
    const { result, original: got } = await run(raw, 13);
    expect(result.ok).toBe(true);
    expect(got).toBe(original);
    expect(result.ok && result.envelope.subject).toBe('Übersicht');
  });

  it('flags a message that is not multipart', async () => {
    const { result } = await run('Subject: hi\r\n\r\nHello\r\n');
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('not multipart') });
  });

  it('flags a report without an attached original', async () => {
    const raw = report().replace('Content-Type: message/rfc822', 'Content-Type: text/html');
    expect((await run(raw)).result).toMatchObject({ ok: false, reason: 'no attached original message', envelope: expect.objectContaining({ sender: 'alice@contoso.example' }) });
  });

  it('flags a report without usable envelope lines', async () => {
    expect((await run(report({ envelope: 'Hello there' }))).result).toMatchObject({ ok: false, reason: expect.stringContaining('no envelope') });
  });

  it('flags a truncated report', async () => {
    expect((await run(report({ close: false }))).result).toMatchObject({ ok: false, reason: expect.stringContaining('closing boundary') });
  });

  it('refuses an unbounded header', async () => {
    const raw = `Subject: x\r\nX-Big: ${'a'.repeat(300 * 1024)}\r\n\r\n`;
    expect((await run(raw, 4096)).result).toMatchObject({ ok: false, reason: expect.stringMatching(/header/) });
  });
});

describe('parseHeaderBlock', () => {
  it('reads folded content types with quoted parameters', () => {
    expect(parseHeaderBlock('Content-Type: Multipart/Mixed;\r\n boundary="a b\\"c"; charset=utf-8\r\nContent-Transfer-Encoding: BASE64\r\n')).toEqual({ contentType: 'multipart/mixed', params: { boundary: 'a b"c', charset: 'utf-8' }, encoding: 'base64' });
  });
});
