import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ContinuityMode = 'normal' | 'active' | 'recovering' | 'drill';
export type UnknownRecipientPolicy = 'reject' | 'passthrough';
export type TenantLanguage = 'en' | 'de';
/** Tenant-written SMS texts per language; a missing entry means the built-in text. */
export type SmsTemplates = Partial<Record<TenantLanguage, { credentials?: string; backToNormal?: string }>>;

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
  /** Refuse (550 5.7.1 at the MX) inbound mail that fails DMARC under the sender domain's reject policy; otherwise such mail is only flagged. */
  @Column('boolean', { name: 'reject_on_dmarc_fail', default: false }) rejectOnDmarcFail: boolean;
  /** Language of employees' texts and the webmail's default. */
  @Column('text', { default: 'en' }) language: TenantLanguage;
  @Column('text', { name: 'webmail_brand_name', nullable: true }) webmailBrandName: string | null;
  /** A small `data:image/(png|jpeg|webp);base64,…` URL (never SVG: it could carry script). */
  @Column('text', { name: 'webmail_logo_data_url', nullable: true }) webmailLogoDataUrl: string | null;
  /** `#rrggbb`. */
  @Column('text', { name: 'webmail_primary_color', nullable: true }) webmailPrimaryColor: string | null;
  /** Whether employees may sign in to the webmail to practise while no continuity event is running. */
  @Column('boolean', { name: 'webmail_practice_signin', default: false }) webmailPracticeSignin: boolean;
  /** E.164 number or alphanumeric sender id for this tenant's texts; null: the configured sender. */
  @Column('text', { name: 'sms_sender', nullable: true }) smsSender: string | null;
  @Column('jsonb', { name: 'sms_templates', default: () => "'{}'" }) smsTemplates: SmsTemplates;
  /** Texts per hour; null: SMS_TENANT_CAP_PER_HOUR. */
  @Column('integer', { name: 'sms_cap_per_hour', nullable: true }) smsCapPerHour: number | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
