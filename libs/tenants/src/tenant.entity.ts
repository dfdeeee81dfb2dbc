import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ContinuityMode = 'normal' | 'active' | 'recovering' | 'drill';
export type UnknownRecipientPolicy = 'reject' | 'passthrough';

@Entity('tenants')
export class Tenant {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text', { unique: true }) slug: string;
  @Column('text', { default: 'normal' }) mode: ContinuityMode;
  @Column('text', { name: 'unknown_recipient_policy', default: 'reject' }) unknownRecipientPolicy: UnknownRecipientPolicy;
  /** How long a temporarily failing delivery is retried before it bounces. */
  @Column('integer', { name: 'delivery_lifetime_seconds', default: 5 * 86400 }) deliveryLifetimeSeconds: number;
  @Column('integer', { name: 'rolling_window_days', default: 30 }) rollingWindowDays: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
