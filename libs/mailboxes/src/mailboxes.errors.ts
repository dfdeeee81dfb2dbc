import { DirectoryError } from '@app/tenants/tenants.errors';

/** Directory errors of mailboxes, aliases, groups and CSV import; `code` is stable. */
export class MailboxesError extends DirectoryError {}

export const MailboxesErrors = {
  invalidField: (code: string, message: string) => new MailboxesError(code, 'invalid', message),
  addressOutsideTenant: (address: string, domain: string) =>
    new MailboxesError('address_outside_tenant', 'invalid', `${address}: domain ${domain} is not one of this tenant's domains (add it with "domain add" first)`),
  addressTaken: (address: string, by: string) => new MailboxesError('address_taken', 'conflict', `${address} is already in use by ${by}`),
  mailboxNotFound: (address: string) => new MailboxesError('mailbox_not_found', 'not_found', `the tenant has no mailbox ${address}`),
  memberNotFound: (mailboxId: string) => new MailboxesError('member_not_found', 'not_found', `the tenant has no mailbox with id ${mailboxId}`),
  groupNotFound: (address: string) => new MailboxesError('group_not_found', 'not_found', `the tenant has no distribution group ${address}`),
  csvHeaderInvalid: (why: string) => new MailboxesError('csv_header_invalid', 'invalid', `CSV header: ${why}`),
  csvUnreadable: (why: string) => new MailboxesError('csv_unreadable', 'invalid', `CSV could not be read: ${why}`),
};
