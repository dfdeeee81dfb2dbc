import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type MirrorFolder = 'inbox' | 'sent';

/** A message's place in one standby mailbox. */
@Entity('mirror_entries')
@Index(['mailboxId', 'folder', 'receivedAt'])
@Index(['mailboxId', 'messageId', 'folder'], { unique: true })
export class MirrorEntry {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index() @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('uuid', { name: 'mailbox_id' }) mailboxId: string;
  @Index() @Column('uuid', { name: 'message_id' }) messageId: string;
  @Column('text') folder: MirrorFolder;
  @Column('text', { array: true, default: '{}' }) flags: string[];
  @Column('timestamptz', { name: 'received_at' }) receivedAt: Date;
}
