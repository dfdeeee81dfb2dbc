import type { AuthSummary } from '@app/mail-auth';
import { authView } from './auth-warning';

const base: AuthSummary = { spf: 'pass', dkim: 'pass', dmarc: 'pass', arc: 'none', fromDomain: 'bank.example', dkimDomains: ['bank.example'], dmarcPolicy: 'reject', action: 'deliver' };

describe('authView', () => {
  it('does not warn when nothing failed, nor for none or temporary errors', () => {
    expect(authView(base)?.warning).toBeNull();
    expect(authView({ ...base, spf: 'none', dkim: 'none', dmarc: 'none' })?.warning).toBeNull();
    expect(authView({ ...base, spf: 'temperror', dkim: 'temperror', dmarc: 'temperror' })?.warningCode).toBeNull();
  });

  it('warns on DMARC failure first, naming the domain', () => {
    const v = authView({ ...base, spf: 'fail', dkim: 'fail', dmarc: 'fail' });
    expect(v?.warningCode).toBe('dmarc_fail');
    expect(v?.warning).toContain('bank.example');
  });

  it('warns on a DKIM failure, then on SPF fail or softfail', () => {
    expect(authView({ ...base, dkim: 'fail' })?.warningCode).toBe('dkim_fail');
    expect(authView({ ...base, spf: 'softfail' })?.warningCode).toBe('spf_fail');
    expect(authView({ ...base, spf: 'fail', fromDomain: null })?.warning).toContain('the sender');
  });

  it('has nothing to say about a message never verified', () => {
    expect(authView(null)).toBeNull();
  });
});
