import { looksLikeFormula, normalizeAlternateEmail, normalizeDisplayName, normalizeMobile, normalizeTenantAddress } from './mailbox-fields';

describe('normalizeTenantAddress', () => {
  it('lower-cases and splits', () => {
    expect(normalizeTenantAddress(' Alice.Smith@Demo.Example. ')).toEqual({ ok: true, value: { address: 'alice.smith@demo.example', local: 'alice.smith', domain: 'demo.example' } });
  });

  it.each(['alice', '@demo.example', 'alice@', 'a..b@demo.example', '.a@demo.example', 'a%b@demo.example', 'a!b@demo.example', '"a b"@demo.example', 'alice@[127.0.0.1]', 'alice@localhost', `${'a'.repeat(65)}@demo.example`])('refuses %j', (input) => {
    const r = normalizeTenantAddress(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('address_invalid');
  });
});

describe('normalizeMobile', () => {
  it('keeps E.164 and drops separators', () => {
    expect(normalizeMobile('+49 151 1234-5678')).toEqual({ ok: true, value: '+4915112345678' });
    expect(normalizeMobile('+1 (555) 010.0199')).toEqual({ ok: true, value: '+15550100199' });
  });

  it('treats empty as none', () => {
    expect(normalizeMobile('')).toEqual({ ok: true, value: null });
    expect(normalizeMobile(undefined)).toEqual({ ok: true, value: null });
  });

  it.each(['0151 1234567', '0049 151 1234567', '+0151234567', '+49', '+49151abc', '+4915112345678901234'])('refuses %j', (input) => {
    expect(normalizeMobile(input)).toMatchObject({ ok: false, code: 'mobile_invalid' });
  });
});

describe('normalizeAlternateEmail', () => {
  const own = new Set(['demo.example']);

  it('accepts an outside address, lower-casing only the domain', () => {
    expect(normalizeAlternateEmail('Alice.Private@Mail.Example.ORG', own)).toEqual({ ok: true, value: 'Alice.Private@mail.example.org' });
    expect(normalizeAlternateEmail(' ', own)).toEqual({ ok: true, value: null });
  });

  it('refuses malformed addresses and the tenant\'s own domain', () => {
    expect(normalizeAlternateEmail('not-an-address', own)).toMatchObject({ ok: false, code: 'alternate_email_invalid' });
    expect(normalizeAlternateEmail('a@b@c', own)).toMatchObject({ ok: false, code: 'alternate_email_invalid' });
    expect(normalizeAlternateEmail('alice@Demo.Example', own)).toMatchObject({ ok: false, code: 'alternate_email_invalid' });
  });
});

describe('normalizeDisplayName', () => {
  it('trims and refuses control characters', () => {
    expect(normalizeDisplayName('  Alice Smith ')).toEqual({ ok: true, value: 'Alice Smith' });
    expect(normalizeDisplayName('Alice\r\nBcc: evil@example.org')).toMatchObject({ ok: false, code: 'display_name_invalid' });
    expect(normalizeDisplayName('x'.repeat(201))).toMatchObject({ ok: false });
  });
});

describe('looksLikeFormula', () => {
  it.each(['=cmd|\' /C calc\'!A0', '+1+1', '-2', '@SUM(A1)'])('flags %j', (v) => expect(looksLikeFormula(v)).toBe(true));
  it.each(['Alice', 'Bob-Smith', 'a=b'])('leaves %j', (v) => expect(looksLikeFormula(v)).toBe(false));
});
