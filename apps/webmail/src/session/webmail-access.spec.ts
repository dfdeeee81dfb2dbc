import { errorText, languageOf, t } from './i18n';
import { mailboxOpen, TenantAccess, tenantOpen } from './webmail-access.service';

const tenant = (over: Partial<TenantAccess>): TenantAccess => ({
  tenantId: 't', name: 'Acme', language: 'en', mode: 'normal', practiceSignin: false, drillMailboxIds: new Set(), brandName: null, logoDataUrl: null, primaryColor: null, ...over,
});

describe('webmail access', () => {
  it('is open in continuity mode, for the mailboxes of a drill, and with practice sign-in; closed otherwise', () => {
    expect(mailboxOpen(tenant({ mode: 'active' }), 'm1')).toBe(true);
    expect(mailboxOpen(tenant({ mode: 'drill', drillMailboxIds: new Set(['m1']) }), 'm1')).toBe(true);
    expect(mailboxOpen(tenant({ mode: 'drill', drillMailboxIds: new Set(['m1']) }), 'm2')).toBe(false);
    expect(mailboxOpen(tenant({ mode: 'normal', practiceSignin: true }), 'm2')).toBe(true);
    expect(mailboxOpen(tenant({ mode: 'normal' }), 'm1')).toBe(false);
    expect(mailboxOpen(tenant({ mode: 'recovering' }), 'm1')).toBe(false);
    expect(tenantOpen(tenant({ mode: 'drill' }))).toBe(true);
    expect(tenantOpen(tenant({ mode: 'normal' }))).toBe(false);
  });

  it('speaks the tenant language and explains every sign-in error code', () => {
    expect(languageOf('de')).toBe('de');
    expect(languageOf('fr')).toBe('en');
    expect(t('de', 'closed')).toContain('Ausfall');
    expect(errorText('en', 'account_locked', { retryAfterSeconds: 120 })).toContain('2 minutes');
    for (const code of ['signin_failed', 'rate_limited', 'csrf_failed', 'credential_invalid', 'credential_expired', 'credential_used', 'credential_locked', 'webmail_closed', 'setup_expired']) {
      expect(errorText('de', code)).toBeTruthy();
      expect(errorText('en', code)).not.toBe(errorText('de', code));
    }
    expect(errorText('en', 'something_else')).toBeNull();
  });
});
