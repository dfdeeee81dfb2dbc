import { z } from 'zod';

/** A recipient as typed: the address is checked at send, so a half-typed draft can still be saved. */
export const RecipientSchema = z.object({
  name: z.string().max(200).optional(),
  address: z.string().trim().min(1).max(320),
});

const recipients = z.array(RecipientSchema).max(1000);

/** Bodies are bounded well below the message limit; attachments are uploaded separately. */
export const MAX_BODY_CHARS = 2_000_000;

export const DraftFieldsSchema = z.object({
  fromMailboxId: z.string().uuid().optional(),
  to: recipients.optional(),
  cc: recipients.optional(),
  bcc: recipients.optional(),
  subject: z.string().max(998).optional(),
  text: z.string().max(MAX_BODY_CHARS).optional(),
});
export type DraftFields = z.infer<typeof DraftFieldsSchema>;

export const ReplyTemplateSchema = z.object({
  entryId: z.string().min(1).max(64),
  mode: z.enum(['reply', 'replyAll', 'forward']),
});

export const DirectoryQuerySchema = z.object({
  q: z.string().trim().min(1).max(100),
});

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(id: string | null | undefined): id is string {
  return typeof id === 'string' && UUID_RE.test(id);
}
