import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('tenant_domains')
export class TenantDomain {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index() @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  /** Lower-case, no trailing dot; unique across all tenants. */
  @Column('text', { unique: true }) name: string;
  /** Value the customer publishes as `TXT continuity-verification=<token>` on the domain. */
  @Column('text', { name: 'verification_token' }) verificationToken: string;
  @Column('timestamptz', { name: 'verified_at', nullable: true }) verifiedAt: Date | null;
  @Column('text', { name: 'verified_by', nullable: true }) verifiedBy: 'dns' | 'operator' | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
