import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether an upstream may be connected to at a non-public address. Tenant
 * admins may only name hosts on the public internet, and a name they give is
 * resolved and checked again at every connection; only an operator can set a
 * private address (a VPN-connected Exchange), and that approval is this
 * column. Existing rows start unapproved: an operator saves a private
 * upstream again to approve it.
 */
export class AddUpstreamPrivateAddressApproval1764500007000 implements MigrationInterface {
  name = 'AddUpstreamPrivateAddressApproval1764500007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE upstreams ADD COLUMN IF NOT EXISTS private_address_allowed boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE upstreams DROP COLUMN IF EXISTS private_address_allowed`);
  }
}
