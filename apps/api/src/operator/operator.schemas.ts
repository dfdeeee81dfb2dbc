import { z } from 'zod';
import { BREAKER_OVERRIDES } from '@app/continuity';

const reasonField = z.string({ error: 'a reason is required' }).trim().min(1, 'a reason is required').max(1000);

export const queueListQuery = z.object({
  state: z.enum(['queued', 'deferred', 'held']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export const retryBody = z
  .object({ deliveryId: z.string().trim().min(1).max(64).optional(), all: z.literal(true).optional(), reason: z.string().trim().max(1000).optional() })
  .refine((b) => (b.deliveryId ? 1 : 0) + (b.all ? 1 : 0) === 1, { message: 'name either deliveryId or all: true', path: ['deliveryId'] });

export const reasonBody = z.object({ reason: reasonField });

export const breakerOverrideBody = z.object({
  override: z.enum(BREAKER_OVERRIDES as unknown as ['auto', 'force-closed', 'force-open']),
  reason: reasonField,
});
