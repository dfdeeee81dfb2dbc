import { makeSnippet, roughHtmlText } from './snippet';

describe('makeSnippet', () => {
  it('collapses whitespace into one line', () => {
    expect(makeSnippet('Hello  team,\r\n\r\nthe\tinvoice is attached.\n')).toBe('Hello team, the invoice is attached.');
  });

  it('leaves quoted lines out when the message has text of its own', () => {
    expect(makeSnippet('Sounds good.\n\n> On Monday Bob wrote:\n> shall we meet?')).toBe('Sounds good.');
  });

  it('keeps quoted text when there is nothing else', () => {
    expect(makeSnippet('> only a quote')).toBe('> only a quote');
  });

  it('cuts long text at a word boundary and marks the cut', () => {
    const s = makeSnippet('word '.repeat(100), 50) as string;
    expect(s.endsWith('…')).toBe(true);
    expect(s.length).toBeLessThanOrEqual(51);
    expect(s).not.toMatch(/wor…$/);
  });

  it('cuts a text without spaces hard', () => {
    expect(makeSnippet('x'.repeat(300), 10)).toBe('xxxxxxxxxx…');
  });

  it('gives null for empty or whitespace-only text', () => {
    expect(makeSnippet('')).toBeNull();
    expect(makeSnippet(' \r\n\t ')).toBeNull();
    expect(makeSnippet(undefined)).toBeNull();
  });

  it('drops NUL and zero-width characters', () => {
    expect(makeSnippet('a\u0000b\u200bc')).toBe('ab c');
  });
});

describe('roughHtmlText', () => {
  it('drops tags, scripts and styles and decodes entities', () => {
    const t = roughHtmlText('<html><head><title>x</title></head><style>p{}</style><p>Gr&uuml;&szlig;e &amp; <b>hello</b>&#33;</p><script>alert(1)</script>', 1000);
    expect(t).not.toMatch(/alert|p\{\}|<|title/);
    expect(t).toContain('& hello !');
  });
});
