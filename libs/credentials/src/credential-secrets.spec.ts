import { codeHmac, generateCode, generateLinkToken, hmacEquals, linkTokenHmac, normalizeCode } from './credential-secrets';

describe('credential secrets', () => {
  it('makes 8-digit codes and 43-character URL-safe tokens', () => {
    for (let i = 0; i < 50; i++) expect(generateCode()).toMatch(/^\d{8}$/);
    expect(generateLinkToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(Array.from({ length: 50 }, generateLinkToken)).size).toBe(50);
  });

  it('binds a code HMAC to its mailbox and the secret', () => {
    const h = codeHmac('s'.repeat(32), 'mb1', '12345678');
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(codeHmac('s'.repeat(32), 'mb2', '12345678')).not.toBe(h);
    expect(codeHmac('t'.repeat(32), 'mb1', '12345678')).not.toBe(h);
    expect(linkTokenHmac('s'.repeat(32), '12345678')).not.toBe(h);
  });

  it('compares HMACs exactly and refuses empty or malformed ones', () => {
    const h = codeHmac('s'.repeat(32), 'mb1', '12345678');
    expect(hmacEquals(h, h)).toBe(true);
    expect(hmacEquals(h, codeHmac('s'.repeat(32), 'mb1', '12345679'))).toBe(false);
    expect(hmacEquals('', '')).toBe(false);
    expect(hmacEquals(h, h.slice(0, 10))).toBe(false);
  });

  it('accepts codes typed with spaces or dashes', () => {
    expect(normalizeCode(' 1234 5678 ')).toBe('12345678');
    expect(normalizeCode('1234-5678')).toBe('12345678');
  });
});
