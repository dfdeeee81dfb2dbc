import { backToNormalText, credentialsEmail, credentialsText, formatLifetime, smsTemplateProblem, tenantBackToNormalText, tenantCredentialsText } from './credential-texts';

const base = { tenantName: 'Acme', code: '12345678', link: 'https://mail.example/signin/link?t=abc', lifetimeHours: 8 };

describe('credential texts', () => {
  it('are in English and German, with code, link and lifetime', () => {
    const en = credentialsText({ ...base, language: 'en', reason: 'activation' });
    expect(en).toContain('12345678');
    expect(en).toContain(base.link);
    expect(en).toContain('valid 8 h');
    const de = credentialsText({ ...base, language: 'de', reason: 'activation' });
    expect(de).toContain('Notbetrieb');
    expect(de).toContain('8 Std. gültig');
    expect(de).toContain('12345678');
  });

  it('say when it is a drill', () => {
    expect(credentialsText({ ...base, language: 'en', reason: 'drill' })).toContain('drill');
    expect(credentialsText({ ...base, language: 'de', reason: 'drill' })).toContain('Übung');
  });

  it('show short lifetimes in minutes', () => {
    expect(formatLifetime(0.5, 'en')).toBe('30 min');
    expect(formatLifetime(0.25, 'de')).toBe('15 Min.');
    expect(formatLifetime(1.5, 'de')).toBe('1,5 Std.');
  });

  it('have a back-to-normal text without any secret', () => {
    expect(backToNormalText('de', 'Acme')).toContain('wieder normal');
    expect(backToNormalText('en', 'Acme')).toContain('back to normal');
  });

  it('have an e-mail form for the alternate address', () => {
    const m = credentialsEmail({ ...base, language: 'en', reason: 'request', address: 'a@acme.example' });
    expect(m.subject).toContain('Acme');
    expect(m.text).toContain('12345678');
    expect(m.text).toContain('a@acme.example');
  });
});

describe("tenants' own SMS templates", () => {
  it('must carry the code and the link, and only known placeholders', () => {
    expect(smsTemplateProblem('credentials', '{tenant}: code {code}, sign in at {link} ({lifetime})')).toBeNull();
    expect(smsTemplateProblem('credentials', 'code {code} only')).toBe('must contain {link}');
    expect(smsTemplateProblem('credentials', 'sign in at {link}')).toBe('must contain {code}');
    expect(smsTemplateProblem('credentials', '{code} {link} {password}')).toMatch(/unknown placeholder \{password\}/);
    expect(smsTemplateProblem('backToNormal', '{tenant}: all good again')).toBeNull();
    expect(smsTemplateProblem('backToNormal', '{tenant} {code}')).toMatch(/unknown placeholder \{code\}/);
    expect(smsTemplateProblem('backToNormal', '  ')).toMatch(/empty/);
    expect(smsTemplateProblem('backToNormal', 'x'.repeat(601))).toMatch(/600/);
  });

  it('are filled in, and a value is never expanded again', () => {
    const text = tenantCredentialsText('{tenant}: {code} / {link} / {lifetime}', { ...base, tenantName: 'Evil {code}', language: 'de', reason: 'activation' });
    expect(text).toBe(`Evil {code}: 12345678 / ${base.link} / 8 Std.`);
  });

  it('fall back to the built-in text when absent or unusable', () => {
    const builtIn = credentialsText({ ...base, language: 'en', reason: 'drill' });
    expect(tenantCredentialsText(undefined, { ...base, language: 'en', reason: 'drill' })).toBe(builtIn);
    expect(tenantCredentialsText('no code here {link}', { ...base, language: 'en', reason: 'drill' })).toBe(builtIn);
    expect(tenantBackToNormalText('{tenant} is back', 'en', 'Acme')).toBe('Acme is back');
    expect(tenantBackToNormalText(undefined, 'en', 'Acme')).toBe(backToNormalText('en', 'Acme'));
  });
});
