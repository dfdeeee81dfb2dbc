import { domainProblems, isReady } from './readiness';

describe('domainProblems', () => {
  const ok = { verified: true, signOutbound: false, activeDkimKeys: 0, unpublishedDkimKeys: 0 };
  it('finds nothing wrong with a verified domain that does not sign', () => {
    expect(domainProblems(ok)).toEqual([]);
  });
  it('names an unverified domain', () => {
    expect(domainProblems({ ...ok, verified: false })).toEqual(['not_verified']);
  });
  it('names signing without an active key, and keys not yet seen in DNS', () => {
    expect(domainProblems({ ...ok, signOutbound: true, unpublishedDkimKeys: 1 })).toEqual(['dkim_key_not_active', 'dkim_key_not_published']);
    expect(domainProblems({ ...ok, signOutbound: true, activeDkimKeys: 1 })).toEqual([]);
  });
});

describe('isReady', () => {
  const none = { domains: 0, mobileNumbers: 0, texts: 0, webmailSignIn: 0 };
  it('is ready with nothing found', () => expect(isReady(none)).toBe(true));
  it('is not ready with a missing mobile number, a domain problem or an undelivered text', () => {
    expect(isReady({ ...none, mobileNumbers: 1 })).toBe(false);
    expect(isReady({ ...none, domains: 1 })).toBe(false);
    expect(isReady({ ...none, texts: 2 })).toBe(false);
  });
  it('only advises about employees who never signed in', () => expect(isReady({ ...none, webmailSignIn: 40 })).toBe(true));
});
