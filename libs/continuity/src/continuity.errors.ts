import { DirectoryError } from '@app/tenants/tenants.errors';

/** Continuity errors share the directory's kinds, so the CLI's exit codes and the API's error filter map them without a new table. */
export class ContinuityError extends DirectoryError {}

export const ContinuityErrors = {
  /** The state machine refused an admin's request in the tenant's current mode. */
  refused: (code: string, why: string) => new ContinuityError(code, 'conflict', why),
  contended: (tenantId: string) => new ContinuityError('transition_contended', 'unavailable', `the mode of tenant ${tenantId} kept changing under us; try again`),
  tenantNotFound: (ref: string) => new ContinuityError('tenant_not_found', 'not_found', `no tenant with id "${ref}"`),
  mailboxNotFound: (ref: string) => new ContinuityError('mailbox_not_found', 'not_found', `the tenant has no mailbox "${ref}"`),
  invalidSettings: (why: string) => new ContinuityError('continuity_settings_invalid', 'invalid', why),
  invalidAdmin: (why: string) => new ContinuityError('tenant_admin_invalid', 'invalid', why),
  adminNotFound: (ref: string) => new ContinuityError('tenant_admin_not_found', 'not_found', `the tenant has no admin "${ref}"`),
};
