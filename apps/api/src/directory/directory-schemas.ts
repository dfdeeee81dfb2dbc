import { z } from 'zod';

/** Request bodies and queries of the directory routes; every failure is a 400 naming the field. */

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an id (uuid)');
const address = z.string().trim().min(3).max(320);
const displayName = z.string().max(200);
const nullableText = (max: number) => z.string().max(max).nullable();

export const ListMailboxesQuery = z.object({
  q: z.string().max(200).optional(),
  status: z.enum(['active', 'disabled']).optional(),
  kind: z.enum(['user', 'shared']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});

export const CreateMailboxBody = z.strictObject({
  address,
  displayName: displayName.optional(),
  mobile: nullableText(40).optional(),
  alternateEmail: nullableText(320).optional(),
  kind: z.enum(['user', 'shared']).default('user'),
});

export const UpdateMailboxBody = z
  .strictObject({
    displayName: displayName.optional(),
    mobile: nullableText(40).optional(),
    alternateEmail: nullableText(320).optional(),
    status: z.enum(['active', 'disabled']).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of displayName, mobile, alternateEmail, status' });

export const ImportQuery = z.object({
  dryRun: z
    .enum(['true', 'false', '1', '0', ''])
    .optional()
    .transform((v) => v === 'true' || v === '1' || v === ''),
});

export const ListAliasesQuery = z.object({ mailboxId: uuid.optional() });
export const CreateAliasBody = z.strictObject({ address, mailboxId: uuid });

export const ListGroupsQuery = z.object({ q: z.string().max(200).optional() });
export const CreateGroupBody = z.strictObject({
  address,
  displayName: displayName.optional(),
  memberIds: z.array(uuid).max(10_000).optional(),
});
export const UpdateGroupBody = z.strictObject({ displayName });
export const GroupMemberBody = z.strictObject({ mailboxId: uuid });

export const SharedMemberBody = z.strictObject({ mailboxId: uuid, canSendAs: z.boolean().default(true) });
export const SharedMemberPatchBody = z.strictObject({ canSendAs: z.boolean() });
