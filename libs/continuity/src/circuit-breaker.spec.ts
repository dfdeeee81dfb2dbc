import { breakerTripped, breakerVerdict } from './circuit-breaker';

describe('circuit breaker', () => {
  const s = { failingShare: 0.5, minFailingTenants: 3 };

  it('opens when more than the share of tenants fail, and at least the minimum', () => {
    expect(breakerVerdict({ failingTenants: 3, tenantsWithUpstreams: 4 }, s)).toBe('open');
    expect(breakerVerdict({ failingTenants: 2, tenantsWithUpstreams: 4 }, s)).toBe('closed'); // exactly half is not more than half
    expect(breakerVerdict({ failingTenants: 2, tenantsWithUpstreams: 2 }, s)).toBe('closed'); // too few to blame ourselves
    expect(breakerVerdict({ failingTenants: 0, tenantsWithUpstreams: 0 }, s)).toBe('closed');
    expect(breakerVerdict({ failingTenants: 600, tenantsWithUpstreams: 1000 }, s)).toBe('open');
  });

  it('the operators override wins both ways', () => {
    expect(breakerTripped('open', 'auto')).toBe(true);
    expect(breakerTripped('closed', 'auto')).toBe(false);
    expect(breakerTripped('open', 'force-closed')).toBe(false);
    expect(breakerTripped('closed', 'force-open')).toBe(true);
  });
});
