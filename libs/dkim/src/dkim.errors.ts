import { DirectoryError } from '@app/tenants/tenants.errors';

/** DKIM key errors share the directory's error shape, so the CLI and the admin API map them like the rest. */
export class DkimError extends DirectoryError {}

export const DkimErrors = {
  unknownDomain: (domain: string) =>
    new DkimError('dkim_domain_unknown', 'not_found', `"${domain}" is no tenant's domain; pass --service to make a key for a domain of the service itself (such as MX_HOSTNAME)`),
  unverifiedDomain: (domain: string) => new DkimError('dkim_domain_unverified', 'unverified', `domain "${domain}" is not verified yet; verify it before making DKIM keys`),
  noKeys: (domain: string) => new DkimError('dkim_no_keys', 'not_found', `domain "${domain}" has no DKIM keys; create one with "dkim create --domain ${domain}"`),
  nothingToRotate: (domain: string) => new DkimError('dkim_nothing_to_rotate', 'conflict', `domain "${domain}" has no active key to rotate (a pending key waits for its DNS record: run "dkim check")`),
  pendingExists: (domain: string, selector: string) =>
    new DkimError('dkim_rotation_pending', 'conflict', `domain "${domain}" already has a pending key (${selector}); publish its record and run "dkim check"`),
  dnsUnavailable: (name: string, why: string) => new DkimError('dkim_dns_unavailable', 'unavailable', `could not look up ${name}: ${why}`),
};
