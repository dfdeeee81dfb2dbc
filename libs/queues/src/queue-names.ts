/** Every BullMQ queue of the service. Redis only schedules: each job points at a Postgres row. */
export enum QueueName {
  Delivery = 'delivery',
  Index = 'index',
  Maintenance = 'maintenance',
  Continuity = 'continuity',
  Sms = 'sms',
}

/**
 * Job ids are deterministic so that adding the same work twice adds it once.
 * BullMQ reserves `:` in custom ids, so the parts are joined with `.`.
 */

/** Deliver the due recipients of one message (all routes). jobId: `delivery.<messageId>.<dueAtMs>`. */
export interface DeliverMessageJob { messageId: string; tenantId: string }
/** Parse one message's blob into its metadata. jobId: `index.<messageId>`. */
export interface IndexMessageJob { messageId: string; tenantId: string }

export function deliveryJobId(messageId: string, dueAt: Date | number): string {
  return `delivery.${messageId}.${typeof dueAt === 'number' ? dueAt : dueAt.getTime()}`;
}
export function indexJobId(messageId: string): string {
  return `index.${messageId}`;
}

/** Successor of a delivery job whose worker died holding it; fixed by the expired lease. */
export function recoveredDeliveryJobId(jobId: string, leaseExpiredAt: Date | number): string {
  return `${jobId}.after-lease.${typeof leaseExpiredAt === 'number' ? leaseExpiredAt : leaseExpiredAt.getTime()}`;
}

/** Send one text (an sms_messages row). jobId: `sms.<smsId>.<dueAtMs>`. */
export interface SendSmsJob { smsId: string; tenantId: string }

export function smsJobId(smsId: string, dueAt: Date | number): string {
  return `sms.${smsId}.${typeof dueAt === 'number' ? dueAt : dueAt.getTime()}`;
}

/** Run the registered effects of one continuity transition (and earlier ones of its tenant still pending). jobId: `transition.<transitionId>`. */
export interface ApplyTransitionEffectsJob { transitionId: string; tenantId: string }

export function transitionEffectsJobId(transitionId: string): string {
  return `transition.${transitionId}`;
}
