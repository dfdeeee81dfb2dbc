import { cleanContentType, cleanFilename, forwardedText, isValidAddress, megabytes, prefixedSubject, quotedReply, replyRecipients, replyReferences, textToHtml, shortenQuoted, MAX_QUOTED_CHARS } from './compose-text';

describe('compose text', () => {
  it('accepts ordinary and international addresses and refuses what cannot be sent to', () => {
    for (const ok of ['a@b.example', 'first.last+tag@sub.example.com', 'jörg@müller.example', "o'brien@x.example"]) expect(isValidAddress(ok)).toBe(true);
    for (const bad of ['', 'a', 'a@', '@b.example', 'a@b', 'a b@c.example', 'a@b..example', 'a@-b.example', '.a@b.example', 'a..b@c.example', 'a@1.2.3.4', 'a<b@c.example', 'a@b.example,c@d.example', `${'x'.repeat(65)}@b.example`])
      expect(isValidAddress(bad)).toBe(false);
  });

  it('adds Re: and Fwd: once, recognising German and stacked prefixes', () => {
    expect(prefixedSubject('Lunch', 'reply')).toBe('Re: Lunch');
    expect(prefixedSubject('Re: Lunch', 'replyAll')).toBe('Re: Lunch');
    expect(prefixedSubject('AW: Mittag', 'reply')).toBe('AW: Mittag');
    expect(prefixedSubject('RE[2]: x', 'reply')).toBe('RE[2]: x');
    expect(prefixedSubject('Re: Lunch', 'forward')).toBe('Fwd: Re: Lunch');
    expect(prefixedSubject('WG: Bericht', 'forward')).toBe('WG: Bericht');
    expect(prefixedSubject('Fw: x', 'forward')).toBe('Fw: x');
    expect(prefixedSubject(null, 'reply')).toBe('Re:');
  });

  it('replies to Reply-To or the sender; reply-all adds To and Cc without the employee and without duplicates', () => {
    const o = {
      from: [{ name: 'Carol', address: 'carol@ext.example' }],
      replyTo: [],
      to: [{ address: 'ME@corp.example' }, { address: 'dan@corp.example' }],
      cc: [{ address: 'carol@ext.example' }, { address: 'erin@ext.example' }, { address: 'not an address' }],
    };
    expect(replyRecipients(o, 'reply', ['me@corp.example'])).toEqual({ to: [{ name: 'Carol', address: 'carol@ext.example' }], cc: [] });
    expect(replyRecipients(o, 'replyAll', ['me@corp.example'])).toEqual({
      to: [{ name: 'Carol', address: 'carol@ext.example' }],
      cc: [{ address: 'dan@corp.example' }, { address: 'erin@ext.example' }],
    });
    expect(replyRecipients({ ...o, replyTo: [{ address: 'list@ext.example' }] }, 'reply', ['me@corp.example']).to).toEqual([{ address: 'list@ext.example' }]);
    // replying to one's own sent message goes to its recipients
    const mine = { from: [{ address: 'me@corp.example' }], replyTo: [], to: [{ address: 'x@ext.example' }], cc: [{ address: 'y@ext.example' }] };
    expect(replyRecipients(mine, 'replyAll', ['me@corp.example'])).toEqual({ to: [{ address: 'x@ext.example' }], cc: [{ address: 'y@ext.example' }] });
  });

  it('quotes the original under a line in the tenant language', () => {
    const date = new Date(Date.UTC(2026, 11, 1, 9, 5));
    const en = quotedReply('Hello\r\n> earlier\r\n', { date, from: { name: 'Carol', address: 'carol@ext.example' } }, 'en');
    expect(en).toContain('On Tue, 1 Dec 2026, 09:05 UTC, Carol <carol@ext.example> wrote:\n> Hello\n>> earlier\n');
    const de = quotedReply('Hallo', { date, from: { address: 'c@ext.example' } }, 'de');
    expect(de).toMatch(/Am .*2026.* schrieb c@ext\.example:\n> Hallo\n$/);
    expect(forwardedText('Body', { date, from: [{ address: 'c@ext.example' }], to: [{ address: 'd@x.example' }], cc: [], subject: 'S' }, 'de')).toContain('---------- Weitergeleitete Nachricht ----------\nVon: c@ext.example\nDatum: ');
  });

  it('makes HTML that carries no markup of the user and quotes as blockquotes', () => {
    const html = textToHtml('<script>alert(1)</script>\n> quoted & more\nend');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toMatch(/<blockquote[^>]*>\nquoted &amp; more<br>\n<\/blockquote>/);
  });

  it('builds References from the original and bounds them', () => {
    expect(replyReferences(['<a@x>', '<b@x>'], '<c@x>')).toEqual(['<a@x>', '<b@x>', '<c@x>']);
    expect(replyReferences([], '<c@x>')).toEqual(['<c@x>']);
    expect(replyReferences(['<c@x>'], '<c@x>')).toEqual(['<c@x>']);
    const long = replyReferences([...Array(150).keys()].map((i) => `<${i}@x>`), '<z@x>');
    expect(long).toHaveLength(100);
    expect(long[0]).toBe('<0@x>');
    expect(long[99]).toBe('<z@x>');
  });

  it('cleans file names and content types from uploads', () => {
    expect(cleanFilename('../../etc/passwd')).toBe('passwd');
    expect(cleanFilename('C:\\Users\\x\\report.pdf')).toBe('report.pdf');
    expect(cleanFilename('a\r\nb.txt')).toBe('ab.txt');
    expect(cleanFilename('')).toBe('attachment');
    expect(cleanContentType('image/PNG; charset=x')).toBe('image/png');
    expect(cleanContentType('bogus')).toBe('application/octet-stream');
    expect(megabytes(20 * 1024 * 1024)).toBe('20 MB');
    expect(megabytes(1536)).toBe('2 KB');
  });
});

describe('shortenQuoted', () => {
  it('keeps a short original whole and cuts a long one at a line end, saying so', () => {
    expect(shortenQuoted('short\ntext', 'en')).toBe('short\ntext');
    const long = Array.from({ length: 20_000 }, (_, i) => `line ${i} of a long thread`).join('\n');
    const cut = shortenQuoted(long, 'de');
    expect(cut.length).toBeLessThanOrEqual(MAX_QUOTED_CHARS + 80);
    expect(cut.endsWith('[… der Rest der ursprünglichen Nachricht ist hier gekürzt]')).toBe(true);
    expect(long.startsWith(cut.slice(0, cut.lastIndexOf('\n')))).toBe(true);
  });
});
