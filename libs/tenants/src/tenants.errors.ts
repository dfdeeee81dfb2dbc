/**
 * What went wrong, in words an operator or an API client can act on. `code`
 * is stable (scripts and the future admin API's error filter key on it);
 * `kind` says which family it belongs to, so a CLI exit code or an HTTP
 * status can be chosen without knowing every code.
 */
export type DirectoryErrorKind = 'invalid' | 'not_found' | 'conflict' | 'unverified' | 'unavailable';

export class DirectoryError extends Error {
  constructor(readonly code: string, readonly kind: DirectoryErrorKind, message: string, readonly details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
  }
}

export class TenantsError extends DirectoryError {}

export const TenantsErrors = {
  tenantNotFound: (ref: string) => new TenantsError('tenant_not_found', 'not_found', `no tenant with slug or id "${ref}"`),
  invalidTenant: (why: string) => new TenantsError('tenant_invalid', 'invalid', why),
  slugTaken: (slug: string) => new TenantsError('tenant_slug_taken', 'conflict', `a tenant with slug "${slug}" already exists`),
  invalidDomain: (name: string, why: string) => new TenantsError('domain_invalid', 'invalid', `"${name}" is not a valid domain: ${why}`),
  /** Never names the other tenant: that a domain is in use is all a claimant may learn. */
  domainTaken: (name: string) =>
    new TenantsError('domain_taken', 'conflict', `domain "${name}" is already in use by another customer; if it is yours, contact support`),
  domainAlreadyAdded: (name: string) => new TenantsError('domain_taken', 'conflict', `the tenant already has domain "${name}"`),
  domainAwaitingVerification: (name: string, claimableFrom: Date) =>
    new TenantsError(
      'domain_taken',
      'conflict',
      `domain "${name}" is awaiting verification by another customer; unless they verify it, it can be added from ${claimableFrom.toISOString()}. If it is yours, contact support`,
      { pendingVerification: true, claimableFrom: claimableFrom.toISOString() },
    ),
  domainNotFound: (name: string) => new TenantsError('domain_not_found', 'not_found', `the tenant has no domain "${name}"`),
  verificationRecordMissing: (name: string, expected: string, found: number) =>
    new TenantsError('domain_verification_failed', 'unverified', `no TXT record "${expected}" on ${name} (found ${found} TXT record${found === 1 ? '' : 's'}); publish it and try again, DNS may take a while to propagate`, { expected, found }),
  dnsLookupFailed: (name: string, why: string) => new TenantsError('dns_lookup_failed', 'unavailable', `could not look up TXT records of ${name}: ${why}`),
  upstreamGroupNotFound: (name: string) => new TenantsError('upstream_group_not_found', 'not_found', `the tenant has no upstream group "${name}"`),
  upstreamGroupTaken: (name: string) => new TenantsError('upstream_group_taken', 'conflict', `the tenant already has an upstream group "${name}"`),
  invalidUpstream: (why: string) => new TenantsError('upstream_invalid', 'invalid', why),
  upstreamNotFound: (ref: string) => new TenantsError('upstream_not_found', 'not_found', `the tenant has no upstream "${ref}" in that group`),
  tenantBusy: (slug: string, mode: string) =>
    new TenantsError('tenant_busy', 'conflict', `tenant "${slug}" is in ${mode} mode; end the continuity event or drill (and let held mail replay) before deleting it`),
};
