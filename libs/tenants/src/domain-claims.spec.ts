import { claimableFrom, judgeDomainClaim, UNVERIFIED_DOMAIN_CLAIM_DAYS } from './domain-claims';

describe('domain claims', () => {
  const created = new Date('2026-11-01T10:00:00.000Z');
  const days = (n: number) => new Date(created.getTime() + n * 86_400_000);

  it('gives an unverified claim seven days', () => {
    expect(UNVERIFIED_DOMAIN_CLAIM_DAYS).toBe(7);
    expect(claimableFrom(created).toISOString()).toBe('2026-11-08T10:00:00.000Z');
  });

  it("refuses the tenant's own domain and another tenant's verified one, however old", () => {
    expect(judgeDomainClaim({ tenantId: 'a', verified: false, createdAt: created }, 'a', days(30))).toEqual({ kind: 'own' });
    expect(judgeDomainClaim({ tenantId: 'b', verified: true, createdAt: created }, 'a', days(365))).toEqual({ kind: 'verified' });
  });

  it("keeps another tenant's unverified claim until its time is up, then releases it", () => {
    expect(judgeDomainClaim({ tenantId: 'b', verified: false, createdAt: created }, 'a', days(0))).toEqual({ kind: 'pending', claimableFrom: days(7) });
    expect(judgeDomainClaim({ tenantId: 'b', verified: false, createdAt: created }, 'a', new Date(days(7).getTime() - 1))).toEqual({ kind: 'pending', claimableFrom: days(7) });
    expect(judgeDomainClaim({ tenantId: 'b', verified: false, createdAt: created }, 'a', days(7))).toEqual({ kind: 'stale' });
    expect(judgeDomainClaim({ tenantId: 'b', verified: false, createdAt: created }, 'a', days(40))).toEqual({ kind: 'stale' });
  });
});
