import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type MessageDirection = 'inbound' | 'outbound' | 'dsn' | 'journal';
export type IndexState = 'pending' | 'indexed' | 'unparseable';

export interface AddressValue { name: string; address: string }
export interface AttachmentInfo { filename: string | null; contentType: string; size: number; contentId: string | null; inline: boolean }

/** One accepted message: the blob holds its bytes, this row its envelope and parsed metadata. */
@Entity('messages')
export class Message {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index() @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text', { name: 'queue_id', unique: true }) queueId: string;
  @Column('text') direction: MessageDirection;
  @Column('text', { name: 'blob_key' }) blobKey: string;
  @Column('bigint', { name: 'size_bytes' }) sizeBytes: string;
  /** Envelope sender; '' is the null sender `<>`. */
  @Column('text', { name: 'mail_from' }) mailFrom: string;
  @Column('text', { name: 'rcpt_to', array: true }) rcptTo: string[];
  @Column('text', { name: 'client_address', nullable: true }) clientAddress: string | null;
  @Column('text', { name: 'client_helo', nullable: true }) clientHelo: string | null;
  @Column('boolean', { name: 'body_8bitmime', default: false }) body8bitmime: boolean;
  @Column('boolean', { default: false }) smtputf8: boolean;
  @Column('timestamptz', { name: 'received_at' }) receivedAt: Date;

  @Column('text', { name: 'index_state', default: 'pending' }) indexState: IndexState;
  @Column('text', { name: 'index_error', nullable: true }) indexError: string | null;
  @Column('timestamptz', { name: 'indexed_at', nullable: true }) indexedAt: Date | null;
  @Column('jsonb', { name: 'from_addr', nullable: true }) from: AddressValue[] | null;
  @Column('jsonb', { name: 'to_addr', nullable: true }) to: AddressValue[] | null;
  @Column('jsonb', { name: 'cc_addr', nullable: true }) cc: AddressValue[] | null;
  @Column('text', { nullable: true }) subject: string | null;
  @Column('timestamptz', { name: 'header_date', nullable: true }) headerDate: Date | null;
  @Column('text', { name: 'message_id_header', nullable: true }) messageIdHeader: string | null;
  @Column('text', { name: 'in_reply_to', nullable: true }) inReplyTo: string | null;
  @Column('text', { name: 'references_ids', array: true, nullable: true }) references: string[] | null;
  @Column('text', { nullable: true }) snippet: string | null;
  @Column('jsonb', { nullable: true }) attachments: AttachmentInfo[] | null;
  @Column('text', { name: 'body_text', nullable: true }) bodyText: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
