import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type AdminLanguage = 'en' | 'de';

/** A person at the tenant who hears about every continuity transition (SMS and e-mail) and may confirm activations. */
@Entity('tenant_admins')
export class TenantAdmin {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index() @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text') name: string;
  /** E.164; null when the admin is reached by e-mail only. */
  @Column('text', { name: 'mobile_e164', nullable: true }) mobileE164: string | null;
  /** An address outside the tenant's own Exchange (which may be the thing that is down). */
  @Column('text', { nullable: true }) email: string | null;
  @Column('text', { default: 'en' }) language: AdminLanguage;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
