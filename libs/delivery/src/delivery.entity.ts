import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * queued    waiting for its first attempt
 * deferred  a temporary failure; retried at next_attempt_at until expires_at
 * held      not attempted while the tenant is in continuity mode; lifetime frozen
 * delivered the next hop answered 250
 * bounced   a permanent failure (5xx); a DSN was queued unless the sender was <>
 * expired   lifetime ran out; a DSN was queued unless the sender was <>
 * suppressed held, then not replayed: the recipient already had this message (same Message-ID)
 */
export type DeliveryState = 'queued' | 'deferred' | 'held' | 'delivered' | 'bounced' | 'expired' | 'suppressed';
export type RouteKind = 'upstream' | 'internet';
/** recipient: an envelope recipient; copy-back: a copy of mail sent during continuity mode, to the sender's own Exchange mailbox. */
export type DeliveryPurpose = 'recipient' | 'copy-back';

export const PENDING_DELIVERY_STATES: DeliveryState[] = ['queued', 'deferred', 'held'];

@Entity('deliveries')
@Index(['nextAttemptAt'], { where: `state IN ('queued','deferred')` })
export class Delivery {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index() @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Index() @Column('uuid', { name: 'message_id' }) messageId: string;
  @Column('text') recipient: string;
  @Column('text', { name: 'route_kind' }) routeKind: RouteKind;
  /** The host:port of the last attempt, for the operator. */
  @Column('text', { name: 'last_route', nullable: true }) lastRoute: string | null;
  @Column('text', { default: 'queued' }) state: DeliveryState;
  @Column('integer', { default: 0 }) attempts: number;
  @Column('timestamptz', { name: 'next_attempt_at' }) nextAttemptAt: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt: Date;
  @Column('text', { name: 'last_reply', nullable: true }) lastReply: string | null;
  @Column('timestamptz', { name: 'last_attempt_at', nullable: true }) lastAttemptAt: Date | null;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt: Date | null;
  @Column('text', { name: 'lease_owner', nullable: true }) leaseOwner: string | null;
  @Column('timestamptz', { name: 'lease_expires_at', nullable: true }) leaseExpiresAt: Date | null;
  /** Queue id of the DSN sent for this recipient, if any. */
  @Column('text', { name: 'dsn_queue_id', nullable: true }) dsnQueueId: string | null;
  /** When the row was last held (continuity mode); the lifetime left then is kept in heldRemainingSeconds. */
  @Column('timestamptz', { name: 'held_at', nullable: true }) heldAt: Date | null;
  @Column('integer', { name: 'held_remaining_seconds', nullable: true }) heldRemainingSeconds: number | null;
  /** When the replay released it (held → queued). */
  @Column('timestamptz', { name: 'released_at', nullable: true }) releasedAt: Date | null;
  @Column('text', { default: 'recipient' }) purpose: DeliveryPurpose;
  /** For a suppressed row: the delivered row of the same message (Message-ID) and recipient. */
  @Column('uuid', { name: 'duplicate_of', nullable: true }) duplicateOf: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
