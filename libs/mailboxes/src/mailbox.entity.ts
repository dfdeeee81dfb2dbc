import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type MailboxStatus = 'active' | 'disabled';
export type MailboxKind = 'user' | 'shared';

@Entity('mailboxes')
export class Mailbox {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index() @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  /** Lower-case `local@domain`; unique across all tenants because domains are. */
  @Column('text', { unique: true }) address: string;
  @Column('text', { name: 'display_name', default: '' }) displayName: string;
  @Column('text', { name: 'mobile_e164', nullable: true }) mobileE164: string | null;
  @Column('text', { name: 'alternate_email', nullable: true }) alternateEmail: string | null;
  @Column('text', { default: 'active' }) status: MailboxStatus;
  @Column('text', { default: 'user' }) kind: MailboxKind;
  /** The identity provider's id of the user (SCIM externalId); unique per tenant. */
  @Column('text', { name: 'external_id', nullable: true }) externalId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
