/**
 * The global circuit breaker. When a large share of all tenants' upstreams
 * fail at once, the fault is probably ours (our network, our DNS), and
 * switching every tenant into continuity mode would text thousands of
 * employees for nothing: automatic activations pause and operators are
 * alerted until the share falls back. Operators can force it either way.
 */
export type BreakerState = 'closed' | 'open';
export type BreakerOverride = 'auto' | 'force-closed' | 'force-open';
export const BREAKER_OVERRIDES: readonly BreakerOverride[] = ['auto', 'force-closed', 'force-open'];

export interface BreakerSettings {
  /** Trip when more than this share of the tenants with upstreams are failing… */
  failingShare: number;
  /** …and at least this many of them (a handful of tenants failing proves nothing about us). */
  minFailingTenants: number;
}

export interface BreakerCount { failingTenants: number; tenantsWithUpstreams: number }

/** What the automatic breaker should be for this count. */
export function breakerVerdict(c: BreakerCount, s: BreakerSettings): BreakerState {
  if (c.tenantsWithUpstreams === 0 || c.failingTenants < s.minFailingTenants) return 'closed';
  return c.failingTenants / c.tenantsWithUpstreams > s.failingShare ? 'open' : 'closed';
}

/** Whether automatic activations are held back, given the automatic state and the operators' override. */
export function breakerTripped(state: BreakerState, override: BreakerOverride): boolean {
  return override === 'force-open' || (override === 'auto' && state === 'open');
}
