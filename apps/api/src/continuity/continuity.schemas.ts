import { z } from 'zod';

/** Why: stored with the transition and in the audit log, and told to the tenant's admins. */
export const reasonField = z.string({ error: 'a reason is required' }).trim().min(1, 'a reason is required').max(1000);

export const reasonBody = z.object({ reason: reasonField });

const mailboxRefs = z.array(z.string().trim().min(1).max(320)).min(1).max(10000);

export const drillBody = z
  .object({ reason: reasonField, mailboxIds: mailboxRefs.optional(), all: z.literal(true).optional() })
  .refine((b) => (b.mailboxIds ? 1 : 0) + (b.all ? 1 : 0) === 1, { message: 'name either mailboxIds or all: true', path: ['mailboxIds'] });

export const credentialsBody = z
  .object({ mailboxIds: mailboxRefs.optional(), group: z.string().trim().min(1).max(320).optional(), all: z.literal(true).optional(), reason: z.string().trim().max(1000).optional() })
  .refine((b) => (b.mailboxIds ? 1 : 0) + (b.group ? 1 : 0) + (b.all ? 1 : 0) === 1, { message: 'name exactly one of mailboxIds, group or all: true', path: ['mailboxIds'] });

const isoDate = z.coerce.date({ error: 'must be a date-time (ISO 8601)' });

export const auditQuery = z.object({
  from: isoDate.optional(),
  to: isoDate.optional(),
  action: z.string().trim().min(1).max(200).regex(/^[a-z0-9_.*-]+$/i, 'letters, digits, dots, dashes; a prefix ends in .*').optional(),
  actor: z.string().trim().min(1).max(320).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(5000).default(0),
});

export const auditCsvQuery = auditQuery.omit({ limit: true, offset: true });

export const readinessQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(20) });
