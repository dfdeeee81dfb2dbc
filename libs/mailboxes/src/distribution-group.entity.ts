import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** Mail to a group is mirrored into each member's standby mailbox. */
@Entity('distribution_groups')
export class DistributionGroup {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index() @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text', { unique: true }) address: string;
  @Column('text', { name: 'display_name', default: '' }) displayName: string;
  /** The identity provider's id of the group (SCIM externalId); unique per tenant. */
  @Column('text', { name: 'external_id', nullable: true }) externalId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

@Entity('group_members')
export class GroupMember {
  @PrimaryColumn('uuid', { name: 'group_id' }) groupId: string;
  @PrimaryColumn('uuid', { name: 'mailbox_id' }) mailboxId: string;
  @Index() @Column('uuid', { name: 'tenant_id' }) tenantId: string;
}
