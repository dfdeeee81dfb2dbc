import { cleanBodyText, cleanLine, stripNul, truncateChars, truncateUtf8 } from './text-limits';

describe('text limits', () => {
  it('removes NUL bytes, which Postgres refuses in text and jsonb', () => {
    expect(stripNul('a\u0000b\u0000')).toBe('ab');
    expect(stripNul('plain')).toBe('plain');
  });

  it('makes a single display line without controls or breaks', () => {
    expect(cleanLine('  Re:\r\n\tHallo\u0007 Welt\u0000 ', 100)).toBe('Re: Hallo  Welt');
    expect(cleanLine(undefined, 10)).toBeNull();
    expect(cleanLine('abcdef', 3)).toBe('abc');
  });

  it('never cuts a surrogate pair in half', () => {
    expect(truncateChars('ab😀', 3)).toBe('ab');
    expect(truncateChars('ab😀', 4)).toBe('ab😀');
  });

  it('cuts UTF-8 on a character boundary', () => {
    expect(truncateUtf8('äöü', 3)).toBe('ä');
    expect(truncateUtf8('äöü', 4)).toBe('äö');
    expect(truncateUtf8('日本語', 7)).toBe('日本');
    expect(Buffer.byteLength(truncateUtf8('x'.repeat(1000) + 'ü'.repeat(1000), 1500))).toBeLessThanOrEqual(1500);
  });

  it('keeps line breaks in body text but drops NUL and controls', () => {
    expect(cleanBodyText('line1\r\nline\u00002\u0001', 100)).toBe('line1\r\nline2 ');
  });
});
