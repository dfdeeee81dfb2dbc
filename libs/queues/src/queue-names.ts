/** Every BullMQ queue of the service. Redis only schedules: each job points at a Postgres row. */
export enum QueueName {
  Delivery = 'delivery',
  Index = 'index',
  Maintenance = 'maintenance',
}

/** Deliver the due recipients of one message (all routes). jobId: `delivery:<messageId>:<dueAtMs>`. */
export interface DeliverMessageJob { messageId: string; tenantId: string }
/** Parse one message's blob into its metadata. jobId: `index:<messageId>`. */
export interface IndexMessageJob { messageId: string; tenantId: string }

export function deliveryJobId(messageId: string, dueAt: Date | number): string {
  return `delivery:${messageId}:${typeof dueAt === 'number' ? dueAt : dueAt.getTime()}`;
}
export function indexJobId(messageId: string): string {
  return `index:${messageId}`;
}
