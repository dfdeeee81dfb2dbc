import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * verify: STARTTLS required, certificate verified against public CAs (default).
 * pinned: STARTTLS required, the server must present exactly the pinned certificate.
 * none:   plain SMTP; for laboratories and the demo only.
 */
export type UpstreamTlsPolicy = 'verify' | 'pinned' | 'none';

@Entity('upstreams')
export class Upstream {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index() @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Index() @Column('uuid', { name: 'group_id' }) groupId: string;
  @Column('text') host: string;
  @Column('integer', { default: 25 }) port: number;
  /** Lower tries first. */
  @Column('integer', { default: 10 }) priority: number;
  @Column('text', { name: 'tls_policy', default: 'verify' }) tlsPolicy: UpstreamTlsPolicy;
  @Column('text', { name: 'pinned_cert_pem', nullable: true }) pinnedCertPem: string | null;
  /**
   * An operator set a host that is not on the public internet (a VPN-connected
   * server): connections may go to private addresses. Otherwise every address
   * is checked when a connection is made (planUpstreamConnection).
   */
  @Column('boolean', { name: 'private_address_allowed', default: false }) privateAddressAllowed: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
