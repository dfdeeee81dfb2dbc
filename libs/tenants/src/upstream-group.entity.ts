import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** The customer's Exchange servers, tried in priority order (failover, never fan-out). */
@Entity('upstream_groups')
@Index(['tenantId', 'name'], { unique: true })
export class UpstreamGroup {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text') name: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
