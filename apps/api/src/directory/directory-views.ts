import { BadRequestException } from '@nestjs/common';
import { DirectoryError } from '@app/tenants/tenants.errors';
import { DistributionGroup, Mailbox } from '@app/mailboxes';

/** JSON shapes of the directory routes (see the route list in the API documentation). */
export interface MailboxView {
  id: string;
  address: string;
  displayName: string;
  mobile: string | null;
  alternateEmail: string | null;
  status: Mailbox['status'];
  kind: Mailbox['kind'];
  externalId: string | null;
  createdAt: string;
  updatedAt: string;
}

export function mailboxView(m: Mailbox): MailboxView {
  return {
    id: m.id,
    address: m.address,
    displayName: m.displayName,
    mobile: m.mobileE164,
    alternateEmail: m.alternateEmail,
    status: m.status,
    kind: m.kind,
    externalId: m.externalId ?? null,
    createdAt: new Date(m.createdAt).toISOString(),
    updatedAt: new Date(m.updatedAt).toISOString(),
  };
}

export interface GroupView {
  id: string;
  address: string;
  displayName: string;
  externalId: string | null;
  memberCount: number;
  createdAt: string;
}

export interface MemberView {
  id: string;
  address: string;
  displayName: string;
  status: Mailbox['status'];
}

export function groupView(g: DistributionGroup, memberCount: number): GroupView {
  return { id: g.id, address: g.address, displayName: g.displayName, externalId: g.externalId ?? null, memberCount, createdAt: new Date(g.createdAt).toISOString() };
}

export interface SharedMemberView {
  mailboxId: string;
  address: string;
  displayName: string;
  canSendAs: boolean;
  createdAt: string;
}

/** Which request field a directory field error is about. */
const FIELD_OF_CODE: Record<string, string> = {
  address_invalid: 'address',
  address_outside_tenant: 'address',
  mobile_invalid: 'mobile',
  alternate_email_invalid: 'alternateEmail',
  display_name_invalid: 'displayName',
};

/** A domain field error as a 400 naming the request field; anything else unchanged. */
export function withField(e: unknown, fieldOverrides: Record<string, string> = {}): unknown {
  if (e instanceof DirectoryError && e.kind === 'invalid') {
    const field = fieldOverrides[e.code] ?? FIELD_OF_CODE[e.code];
    if (field) return new BadRequestException({ statusCode: 400, code: e.code, message: `${field}: ${e.message}`, field });
  }
  return e;
}
