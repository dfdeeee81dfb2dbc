import { capAlert, transitionAnnouncement } from './admin-texts';

describe('admin texts', () => {
  const n = { tenantName: 'Acme', fromMode: 'normal', toMode: 'active', event: 'activate', actor: 'cli:ops', reason: 'Exchange down', at: new Date('2025-11-26T10:00:00Z') };

  it('announce a transition in English and German', () => {
    const en = transitionAnnouncement({ ...n, language: 'en' });
    expect(en.sms).toContain('continuity mode');
    expect(en.text).toContain('2025-11-26 10:00:00 UTC');
    expect(en.text).toContain('cli:ops');
    const de = transitionAnnouncement({ ...n, language: 'de' });
    expect(de.sms).toContain('Notbetrieb');
    expect(de.subject).toContain('Acme');
  });

  it('alert the cap', () => {
    expect(capAlert('en', 'Acme', 100).sms).toContain('100/h');
    expect(capAlert('de', 'Acme', 100).sms).toContain('100/Std.');
  });

  it('asks admins to confirm under the confirm policy, rather than announcing an unchanged mode (regression)', () => {
    const base = { tenantName: 'Acme', fromMode: 'normal', toMode: 'normal', event: 'activation-requested', actor: 'policy', reason: '4 failures over 130 s', at: new Date('2026-11-25T10:00:00Z') };
    const en = transitionAnnouncement({ ...base, language: 'en' });
    expect(en.sms).toMatch(/confirm continuity mode/);
    expect(en.sms).not.toMatch(/was normal operation/);
    const de = transitionAnnouncement({ ...base, language: 'de' });
    expect(de.sms).toMatch(/bestätigen/);
    expect(transitionAnnouncement({ ...base, event: 'confirmation-withdrawn', language: 'en' }).sms).toMatch(/withdrawn/);
  });
});
