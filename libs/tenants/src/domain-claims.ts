/**
 * How long a domain that a tenant added but never verified keeps other
 * tenants from adding it. Without a limit, anyone could add a customer's
 * domain first and keep the customer out for good; with it, the first claim
 * has this long to publish its ownership record, after which the next tenant
 * to add the domain takes it over.
 */
export const UNVERIFIED_DOMAIN_CLAIM_DAYS = 7;

const DAY_MS = 86_400_000;

/** A tenant's existing row for a domain name, as the claim decision needs it. */
export interface ExistingDomainClaim {
  tenantId: string;
  verified: boolean;
  createdAt: Date;
}

/** What adding a domain meets when the name is already in the table. */
export type DomainClaimOutcome =
  /** The tenant itself already has the domain. */
  | { kind: 'own' }
  /** Another tenant proved ownership: the domain stays theirs. */
  | { kind: 'verified' }
  /** Another tenant's unverified claim, still within its time to verify. */
  | { kind: 'pending'; claimableFrom: Date }
  /** Another tenant's unverified claim past its time: released, and the new claim goes ahead. */
  | { kind: 'stale' };

/** When an unverified claim made at `createdAt` stops blocking other tenants. */
export function claimableFrom(createdAt: Date): Date {
  return new Date(createdAt.getTime() + UNVERIFIED_DOMAIN_CLAIM_DAYS * DAY_MS);
}

export function judgeDomainClaim(existing: ExistingDomainClaim, claimantTenantId: string, now: Date): DomainClaimOutcome {
  if (existing.tenantId === claimantTenantId) return { kind: 'own' };
  if (existing.verified) return { kind: 'verified' };
  const from = claimableFrom(existing.createdAt);
  return now.getTime() >= from.getTime() ? { kind: 'stale' } : { kind: 'pending', claimableFrom: from };
}
