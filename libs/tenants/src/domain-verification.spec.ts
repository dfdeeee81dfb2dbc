import { hasVerificationRecord, normalizeDomainName, verificationRecordValue } from './domain-verification';

describe('normalizeDomainName', () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['  mail.example.co.uk ', 'mail.example.co.uk'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['a-b.example', 'a-b.example'],
  ])('accepts %s as %s', (input, name) => {
    expect(normalizeDomainName(input)).toEqual({ ok: true, name });
  });

  it.each([
    ['', 'empty'],
    ['localhost', 'two labels'],
    ['192.0.2.1', 'IP literal'],
    ['[192.0.2.1]', 'IP literal'],
    ['exa_mple.com', 'letters, digits'],
    ['-bad.example', 'letters, digits'],
    ['bad-.example', 'letters, digits'],
    ['a..example', 'empty label'],
    ['example.123', 'numeric'],
    ['evil.example%other.example', 'letters, digits'],
    ['user@example.com', 'letters, digits'],
    [`${'a'.repeat(64)}.example`, 'longer than 63'],
    [`${'abcdefghi.'.repeat(26)}example`, 'longer than 253'],
  ])('refuses %j (%s)', (input, why) => {
    const r = normalizeDomainName(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(why);
  });
});

describe('hasVerificationRecord', () => {
  const token = 'abc123';

  it('finds the record among others', () => {
    expect(hasVerificationRecord([['v=spf1 -all'], [verificationRecordValue(token)]], token)).toBe(true);
  });

  it('joins a record split into several character-strings', () => {
    expect(hasVerificationRecord([['continuity-verif', 'ication=abc', '123']], token)).toBe(true);
  });

  it('does not accept a prefix, another token or an empty answer', () => {
    expect(hasVerificationRecord([['continuity-verification=abc1234']], token)).toBe(false);
    expect(hasVerificationRecord([['continuity-verification=other']], token)).toBe(false);
    expect(hasVerificationRecord([], token)).toBe(false);
  });
});
